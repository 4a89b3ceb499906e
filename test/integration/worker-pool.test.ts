// The elastic pool's decisions on DynamoDB Local. What starts and stops workers is the
// `WorkerLauncher` boundary (ECS in AWS): here an in-memory one records the calls.
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type PoolDeps,
  reconcilePool,
  scaleOut,
  type WorkerInstance,
  type WorkerLauncher,
} from '../../lib/cloud/worker-pool.js';
import { masterConfig } from '../../lib/core/config.js';
import { registerWorker } from '../../lib/core/lifecycle.js';
import { applyEvent } from '../../lib/store/apply.js';
import { loadActiveCluster, putRecords } from '../../lib/store/cluster.js';
import { acquireLease, type Lease } from '../../lib/store/lease.js';
import { acknowledgeLaunch, pendingWorkers, readPool } from '../../lib/store/pool.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { aDriver, anApp, anExecutor, aWorker } from '../unit/core/fixtures.js';
import { localClientConfig, uniqueName } from './aws.js';

class RecordingLauncher implements WorkerLauncher {
  readonly launches: { count: number; token: string }[] = [];
  readonly stopped: string[] = [];
  instances: WorkerInstance[] = [];
  async launch(count: number, token: string) {
    this.launches.push({ count, token });
  }
  async stop(instanceId: string) {
    this.stopped.push(instanceId);
    this.instances = this.instances.filter((i) => i.instanceId !== instanceId);
  }
  async list() {
    return this.instances;
  }
}

const START = Date.UTC(2026, 10, 22, 12);
let table: Table;
let launcher: RecordingLauncher;
let clock: { now: number };
let deps: PoolDeps;

const lease = async (): Promise<Lease> =>
  (await acquireLease(table, 'cleanup', uniqueName('c'), clock.now, 60_000)) as Lease;

beforeEach(async () => {
  table = openTable(uniqueName('pool'), localClientConfig());
  await ensureTable(table);
  launcher = new RecordingLauncher();
  clock = { now: START };
  deps = {
    table,
    launcher,
    settings: {
      minWorkers: 0,
      maxWorkers: 5,
      workerCores: 4,
      workerMemoryMb: 8192,
      idleTimeoutMs: 120_000,
    },
    config: masterConfig(),
    registrationGraceMs: 300_000,
    now: () => clock.now,
    logger: new Logger({ logLevel: 'ERROR' }),
  };
});

async function register(id: string, instanceId: string, launchToken?: string, cores = 4) {
  const reg = {
    id,
    host: id,
    port: 7078,
    cores,
    memoryMb: 8192,
    webUiUrl: '',
    resources: {},
    instanceId,
  };
  await applyEvent(
    table,
    () => loadActiveCluster(table),
    (c, _b, ctx) => registerWorker(c, reg, ctx),
    { now: clock.now, config: deps.config },
  );
  if (launchToken) await acknowledgeLaunch(table, launchToken);
  launcher.instances.push({ instanceId, startedAtMs: clock.now });
}

describe('scale-out', () => {
  it('starts what the waiting drivers need, once, however many passes decide it', async () => {
    await putRecords(table, {
      drivers: Array.from({ length: 6 }, (_, i) => aDriver({ id: `d${i}`, seq: i })),
    });
    const { cluster } = await loadActiveCluster(table);
    // Six 1-core drivers on 4-core workers: two workers.
    expect(await scaleOut(deps, cluster)).toBe(2);
    expect(launcher.launches).toEqual([{ count: 2, token: expect.any(String) }]);
    // The same state decided again (another pass, a duplicate nudge): nothing more.
    expect(await scaleOut(deps, cluster)).toBe(0);
    const pool = await readPool(table);
    expect(pendingWorkers(pool, clock.now, deps.registrationGraceMs)).toBe(2);
  });

  it('two passes deciding at the same moment start the capacity once', async () => {
    await putRecords(table, { applications: [anApp({ id: 'app-1', state: 'WAITING' })] });
    const { cluster } = await loadActiveCluster(table);
    const capped = { ...deps, settings: { ...deps.settings, maxWorkers: 3 } };
    const started = await Promise.all([scaleOut(capped, cluster), scaleOut(capped, cluster)]);
    // An application without spark.cores.max wants every core there is: up to the maximum.
    expect(started.reduce((a, b) => a + b, 0)).toBe(3);
    expect(launcher.launches.reduce((n, l) => n + l.count, 0)).toBe(3);
  });

  it('registered workers are no longer pending; a launch that never registers expires', async () => {
    await putRecords(table, { drivers: [aDriver({ id: 'd0' }), aDriver({ id: 'd1', seq: 1 })] });
    const { cluster } = await loadActiveCluster(table);
    const small = { ...deps, settings: { ...deps.settings, workerCores: 1 } };
    expect(await scaleOut(small, cluster)).toBe(2);
    const [launch] = launcher.launches;
    await register('w-new', 'task-1', launch?.token, 1);
    expect(pendingWorkers(await readPool(table), clock.now, deps.registrationGraceMs)).toBe(1);
    // The other task never registers: past the grace period its worker is asked for again.
    clock.now += deps.registrationGraceMs + 1;
    expect(pendingWorkers(await readPool(table), clock.now, deps.registrationGraceMs)).toBe(0);
    const now = await loadActiveCluster(table);
    expect(await scaleOut(small, now.cluster)).toBe(1);
  });
});

describe('reconciliation and scale-in (cleanup)', () => {
  it('a worker whose instance is gone is lost at once; its work waits for a new one', async () => {
    await putRecords(table, {
      workers: [aWorker({ id: 'w1', instanceId: 'task-1', coresUsed: 2, memoryUsedMb: 1024 })],
      applications: [anApp({ id: 'app-1', coresGranted: 2, nextExecutorId: 1 })],
      executors: [anExecutor({ appId: 'app-1', id: 0, workerId: 'w1' })],
    });
    const loaded = await loadActiveCluster(table);
    const result = await reconcilePool(deps, loaded.cluster, loaded.generations, await lease());
    expect(result.lost).toEqual(['w1']);
    const { cluster } = await loadActiveCluster(table);
    expect(cluster.workers.w1?.state).toBe('DEAD');
    expect(cluster.workers.w1?.lostReason).toBe('its instance task-1 is gone');
    expect(Object.keys(cluster.executors)).toEqual([]);
    expect(cluster.applications['app-1']?.coresGranted).toBe(0);
  });

  it('an instance that never registered is stopped after the grace period', async () => {
    launcher.instances = [{ instanceId: 'task-orphan', startedAtMs: clock.now }];
    let loaded = await loadActiveCluster(table);
    expect(
      (await reconcilePool(deps, loaded.cluster, loaded.generations, await lease())).unregistered,
    ).toEqual([]);
    clock.now += deps.registrationGraceMs + 1;
    loaded = await loadActiveCluster(table);
    const result = await reconcilePool(deps, loaded.cluster, loaded.generations, await lease());
    expect(result.unregistered).toEqual(['task-orphan']);
    expect(launcher.stopped).toEqual(['task-orphan']);
  });

  it('idle workers are stopped after the idle timeout, busy ones and the minimum stay', async () => {
    await register('w-idle', 'task-idle');
    await register('w-busy', 'task-busy');
    await register('w-min', 'task-min');
    await putRecords(table, {
      drivers: [aDriver({ id: 'd-busy', state: 'RUNNING', workerId: 'w-busy' })],
    });
    const withMin = { ...deps, settings: { ...deps.settings, minWorkers: 2 } };
    const tick = async () => {
      const loaded = await loadActiveCluster(table);
      return reconcilePool(withMin, loaded.cluster, loaded.generations, await lease());
    };
    expect((await tick()).stopped).toEqual([]);
    clock.now += 60_000;
    expect((await tick()).stopped).toEqual([]);
    clock.now += 61_000;
    const { stopped } = await tick();
    // Two idle workers, a minimum of 2 of 3: one goes.
    expect(stopped).toHaveLength(1);
    expect(['w-idle', 'w-min']).toContain(stopped[0]);
    expect(launcher.stopped).toHaveLength(1);
    const { cluster } = await loadActiveCluster(table);
    expect(cluster.workers[stopped[0] as string]?.state).toBe('DECOMMISSIONED');
    expect(cluster.workers['w-busy']?.state).toBe('ALIVE');
  });

  it('a worker that became busy since the last tick is not stopped', async () => {
    await register('w1', 'task-1');
    const first = await loadActiveCluster(table);
    await reconcilePool(deps, first.cluster, first.generations, await lease());
    clock.now += 200_000;
    // A pass placed a driver in between: its desired state has a new generation.
    await putRecords(table, { drivers: [aDriver({ id: 'd1', state: 'RUNNING', workerId: 'w1' })] });
    const loaded = await loadActiveCluster(table);
    const { stopped } = await reconcilePool(
      deps,
      loaded.cluster,
      loaded.generations,
      await lease(),
    );
    expect(stopped).toEqual([]);
    expect(launcher.stopped).toEqual([]);
  });
});
