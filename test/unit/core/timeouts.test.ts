// Drivers' queue timeouts and maximum runtimes, on a simulated clock.
import { describe, expect, it } from 'vitest';
import { masterConfig } from '../../../lib/core/config.js';
import { applyPlan, driverStateChanged, driverTimedOut } from '../../../lib/core/lifecycle.js';
import { schedule } from '../../../lib/core/schedule.js';
import { driverDescription } from '../../../lib/core/submission.js';
import {
  dueDriverTimeouts,
  hasDriverTimeouts,
  parseDriverTimeout,
  whyNotPlaced,
} from '../../../lib/core/timeouts.js';
import { aDriver, aWorker, clusterOf } from './fixtures.js';

const QUEUE = 'spark.sparkplane.driver.queueTimeout';
const RUNTIME = 'spark.sparkplane.driver.maxRuntime';

const withProps = (id: string, props: Record<string, string>, memoryMb = 1024) => {
  const base = aDriver({ id });
  return aDriver({
    id,
    description: { ...base.description, sparkProperties: props, memoryMb },
  });
};

describe('timeouts as properties', () => {
  it('reads durations, bare numbers as seconds, and refuses what is not one', () => {
    expect(parseDriverTimeout(QUEUE, '90')).toBe(90_000);
    expect(parseDriverTimeout(QUEUE, '10m')).toBe(600_000);
    expect(parseDriverTimeout(QUEUE, '1500ms')).toBe(1500);
    expect(() => parseDriverTimeout(QUEUE, '500ms')).toThrow(/at least 1s/);
    expect(() => parseDriverTimeout(QUEUE, 'soon')).toThrow(/queueTimeout must be a duration/);
    expect(masterConfig({ [QUEUE]: '5m', [RUNTIME]: '2h' })).toMatchObject({
      driverQueueTimeoutMs: 300_000,
      driverMaxRuntimeMs: 7_200_000,
    });
    expect(masterConfig({}).driverQueueTimeoutMs).toBeUndefined();
    expect(() => masterConfig({ [RUNTIME]: '-1' })).toThrow(/maxRuntime/);
  });

  it('a submission with a bad timeout is refused, naming the property', () => {
    const built = driverDescription(
      {
        appResource: 'file:/app.jar',
        mainClass: 'Main',
        appArgs: [],
        sparkProperties: { 'spark.app.name': 'x', [RUNTIME]: 'forever' },
        environmentVariables: {},
      },
      { placeholder: () => undefined },
    );
    expect(built).toMatchObject({ ok: false });
    expect(JSON.stringify(built)).toContain(RUNTIME);
  });
});

describe('the queue timeout', () => {
  const small = aWorker({ id: 'w1', cores: 4, memoryMb: 2048 });

  it('is due only past the limit; the submission’s own value wins over the default', () => {
    const cluster = clusterOf({
      workers: [small],
      drivers: [withProps('d-default', {}, 4096), withProps('d-own', { [QUEUE]: '30s' }, 4096)],
    });
    const config = { driverQueueTimeoutMs: 60_000 };
    expect(dueDriverTimeouts(cluster.drivers, config, 30_000).queued).toEqual([]);
    expect(dueDriverTimeouts(cluster.drivers, config, 30_001).queued).toEqual(['d-own']);
    expect(dueDriverTimeouts(cluster.drivers, config, 60_001).queued.sort()).toEqual([
      'd-default',
      'd-own',
    ]);
    expect(dueDriverTimeouts(cluster.drivers, {}, 10 ** 9).queued).toEqual(['d-own']);
    expect(hasDriverTimeouts(cluster.drivers, {})).toBe(true);
    expect(hasDriverTimeouts({ a: aDriver({ id: 'a' }) }, {})).toBe(false);
  });

  it('a driver bigger than any worker ends ERROR saying what no worker has', () => {
    const cluster = clusterOf({ workers: [small], drivers: [withProps('d1', {}, 8192)] });
    const config = { driverQueueTimeoutMs: 60_000 };
    const why = whyNotPlaced(cluster, 'd1', 10);
    expect(why).toBe('no ALIVE worker has 8192 MiB of memory (the most any has is 2048 MiB)');
    expect(driverTimedOut(cluster, 'd1', config, 59_000, why).cluster).toBe(cluster);
    const t = driverTimedOut(cluster, 'd1', config, 60_001, why);
    expect(t.cluster.drivers.d1).toMatchObject({
      state: 'ERROR',
      endTimeMs: 60_001,
      exception: `Not placed within its queue timeout (1m): ${why}`,
    });
    expect(t.effects).toContainEqual({ type: 'Schedule' });
  });

  it('says why in Spark’s placement terms', () => {
    const gpu = aDriver({ id: 'g' });
    const wantsGpu = aDriver({
      id: 'g',
      description: { ...gpu.description, resources: { gpu: 2 } },
    });
    expect(whyNotPlaced(clusterOf({ drivers: [wantsGpu] }), 'g', 10)).toBe('no worker is ALIVE');
    expect(
      whyNotPlaced(
        clusterOf({
          workers: [aWorker({ id: 'w', resources: { gpu: ['0'] } })],
          drivers: [wantsGpu],
        }),
        'g',
        10,
      ),
    ).toBe('no ALIVE worker has 2 gpu (the most any offers is 1)');
    const running = aDriver({ id: 'r', state: 'RUNNING', workerId: 'w' });
    const waiting = aDriver({ id: 'q', seq: 1 });
    const full = clusterOf({ workers: [aWorker({ id: 'w' })], drivers: [running, waiting] });
    expect(whyNotPlaced(full, 'q', 1)).toBe(
      'spark.deploy.maxDrivers (1) drivers are already running',
    );
    const busy = clusterOf({
      workers: [aWorker({ id: 'w', coresUsed: 8 })],
      drivers: [waiting],
    });
    expect(whyNotPlaced(busy, 'q', 10)).toMatch(
      /^the 1 ALIVE worker\(s\) that can run it had no room free/,
    );
    const apart = clusterOf({
      workers: [
        aWorker({ id: 'a', cores: 1, memoryMb: 8192 }),
        aWorker({ id: 'b', cores: 8, memoryMb: 512 }),
      ],
      drivers: [
        aDriver({ id: 'x', description: { ...waiting.description, cores: 2, memoryMb: 4096 } }),
      ],
    });
    expect(whyNotPlaced(apart, 'x', 10)).toBe(
      'no single ALIVE worker has 2 cores, 4096 MiB and its resources together',
    );
  });

  it('a driver a pass placed in the meantime is left alone', () => {
    const cluster = clusterOf({ workers: [aWorker({ id: 'w1' })], drivers: [withProps('d1', {})] });
    const placed = applyPlan(
      cluster,
      schedule(cluster, masterConfig({}), () => 0),
      1_000,
    ).cluster;
    const t = driverTimedOut(placed, 'd1', { driverQueueTimeoutMs: 1_000 }, 120_000, 'x');
    expect(t.cluster).toBe(placed);
  });
});

describe('the maximum runtime', () => {
  it('asks the worker once to kill a driver past it, which then ends KILLED with the reason', () => {
    const worker = aWorker({ id: 'w1' });
    const cluster = clusterOf({
      workers: [worker],
      drivers: [withProps('d1', { [RUNTIME]: '2m' })],
    });
    const placed = applyPlan(
      cluster,
      schedule(cluster, masterConfig({}), () => 0),
      10_000,
    ).cluster;
    expect(dueDriverTimeouts(placed.drivers, {}, 130_000).overdue).toEqual([]);
    expect(dueDriverTimeouts(placed.drivers, {}, 130_001).overdue).toEqual(['d1']);
    const asked = driverTimedOut(placed, 'd1', {}, 130_001, 'unused');
    expect(asked.effects).toEqual([{ type: 'KillDriver', workerId: 'w1', driverId: 'd1' }]);
    expect(asked.cluster.drivers.d1).toMatchObject({
      state: 'RUNNING',
      killReason: 'Killed: it ran past its maximum runtime (2m)',
    });
    // Asked once: later checks only send the ask again, writing nothing.
    expect(dueDriverTimeouts(asked.cluster.drivers, {}, 200_000)).toEqual({
      queued: [],
      overdue: [],
      stopping: [{ driverId: 'd1', workerId: 'w1' }],
    });
    expect(driverTimedOut(asked.cluster, 'd1', {}, 200_000, 'unused').cluster).toBe(asked.cluster);
    expect(hasDriverTimeouts(asked.cluster.drivers, {})).toBe(false);
    const ended = driverStateChanged(asked.cluster, { driverId: 'd1', state: 'KILLED' }, 131_000);
    expect(ended.cluster.drivers.d1).toMatchObject({
      state: 'KILLED',
      endTimeMs: 131_000,
      exception: 'Killed: it ran past its maximum runtime (2m)',
    });
    expect(ended.cluster.workers.w1?.coresUsed).toBe(0);
  });
});
