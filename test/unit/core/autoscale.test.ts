import { describe, expect, it } from 'vitest';
import {
  isBusy,
  type PoolSettings,
  workersToStart,
  workersToStop,
} from '../../../lib/core/autoscale.js';
import { masterConfig } from '../../../lib/core/config.js';
import { aDriver, anApp, anExecutor, aWorker, clusterOf } from './fixtures.js';

const pool: PoolSettings = {
  minWorkers: 0,
  maxWorkers: 10,
  workerCores: 4,
  workerMemoryMb: 8192,
  idleTimeoutMs: 60_000,
};
const config = masterConfig();

const app = (id: string, maxCores: number, seq = 0) => {
  const base = anApp({ id: 'x' });
  return anApp({
    id,
    seq,
    state: 'WAITING',
    description: { ...base.description, maxCores },
    resourceProfiles: { 0: { id: 0, coresPerExecutor: 1, memoryMb: 1024, resources: {} } },
  });
};

describe('starting workers', () => {
  it('nothing waits: nothing to start', () => {
    expect(workersToStart(clusterOf({ workers: [aWorker({ id: 'w1' })] }), config, pool, 0)).toBe(
      0,
    );
  });

  it('what fits on the listed workers is not a reason to start any', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1', cores: 8 })],
      drivers: [aDriver({ id: 'd1' })],
      applications: [app('app-1', 4)],
    });
    expect(workersToStart(cluster, config, pool, 0)).toBe(0);
  });

  it('starts as few 4-core workers as the waiting drivers and executors need', () => {
    const cluster = clusterOf({
      drivers: [aDriver({ id: 'd1' }), aDriver({ id: 'd2', seq: 1 })],
      applications: [app('app-1', 8)],
    });
    // 2 driver cores + 8 executor cores = 10 cores: three 4-core workers.
    expect(workersToStart(cluster, config, pool, 0)).toBe(3);
  });

  it('workers already being started count', () => {
    const cluster = clusterOf({ applications: [app('app-1', 8)] });
    expect(workersToStart(cluster, config, pool, 1)).toBe(1);
    expect(workersToStart(cluster, config, pool, 2)).toBe(0);
    expect(workersToStart(cluster, config, pool, 5)).toBe(0);
  });

  it('never beyond the maximum; up to the minimum even when nothing waits', () => {
    const hungry = clusterOf({ applications: [app('app-1', 1000)] });
    expect(workersToStart(hungry, config, { ...pool, maxWorkers: 3 }, 0)).toBe(3);
    expect(workersToStart(hungry, config, { ...pool, maxWorkers: 3 }, 1)).toBe(2);
    const idle = clusterOf({ workers: [aWorker({ id: 'w1' })] });
    expect(workersToStart(idle, config, { ...pool, minWorkers: 3 }, 1)).toBe(1);
  });

  it('a driver bigger than a worker can ever be is not a reason to start one', () => {
    const big = aDriver({ id: 'd1' });
    const cluster = clusterOf({
      drivers: [{ ...big, description: { ...big.description, cores: 16 } }],
    });
    expect(workersToStart(cluster, config, pool, 0)).toBe(0);
  });
});

describe('stopping idle workers', () => {
  const now = 1_000_000;
  const cluster = clusterOf({
    workers: ['w1', 'w2', 'w3', 'w4'].map((id) => aWorker({ id })),
    applications: [anApp({ id: 'app-1' })],
    executors: [anExecutor({ appId: 'app-1', id: 0, workerId: 'w1' })],
    drivers: [aDriver({ id: 'd1', state: 'RUNNING', workerId: 'w2' })],
  });
  const idleSince: Record<string, number> = { w1: 0, w2: 0, w3: now - 120_000, w4: now - 90_000 };

  it('busy workers stay; idle ones past the timeout go, the longest idle first', () => {
    expect(isBusy(cluster, 'w1')).toBe(true);
    expect(isBusy(cluster, 'w2')).toBe(true);
    expect(workersToStop(cluster, pool, (id) => idleSince[id] ?? now, now)).toEqual(['w3', 'w4']);
  });

  it('never below the minimum, never before the timeout', () => {
    expect(
      workersToStop(cluster, { ...pool, minWorkers: 3 }, (id) => idleSince[id] ?? now, now),
    ).toEqual(['w3']);
    expect(workersToStop(cluster, pool, () => now - 30_000, now)).toEqual([]);
  });
});
