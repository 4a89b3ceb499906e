// The store against DynamoDB Local: loading, counters, the lease, and plan commits
// under duplicates, races and crashes.
import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { masterConfig } from '../../lib/core/config.js';
import { applyPlan } from '../../lib/core/lifecycle.js';
import type { Cluster } from '../../lib/core/model.js';
import { type Plan, schedule } from '../../lib/core/schedule.js';
import { loadActiveCluster, putRecords } from '../../lib/store/cluster.js';
import { commitPlan, type FaultHook } from '../../lib/store/commit-plan.js';
import { reserveNumbers } from '../../lib/store/counters.js';
import { acquireLease, releaseLease, renewLease } from '../../lib/store/lease.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { aDriver, anApp, anExecutor, aWorker } from '../unit/core/fixtures.js';
import { localClientConfig, uniqueName } from './aws.js';
import { violations } from './invariants.js';

const config = masterConfig();
let table: Table;

beforeEach(async () => {
  table = openTable(uniqueName('sparkplane'), localClientConfig());
  await ensureTable(table);
});

/** 3 workers (one with GPUs), 4 waiting drivers, 3 apps, one with a live executor. */
async function seed(): Promise<void> {
  await putRecords(table, {
    workers: [
      aWorker({ id: 'w1', cores: 8, memoryMb: 8192, resources: { gpu: ['0', '1', '2', '3'] } }),
      aWorker({ id: 'w2', cores: 8, memoryMb: 8192, coresUsed: 2, memoryUsedMb: 1024 }),
      aWorker({ id: 'w3', cores: 4, memoryMb: 4096 }),
    ],
    drivers: [0, 1, 2, 3].map((i) => aDriver({ id: `driver-${i}`, seq: i })),
    applications: [
      anApp({
        id: 'app-0',
        seq: 0,
        state: 'WAITING',
        description: { ...anApp({ id: 'x' }).description, maxCores: 6 },
      }),
      anApp({
        id: 'app-1',
        seq: 1,
        coresGranted: 2,
        nextExecutorId: 1,
        resourceProfiles: {
          0: { id: 0, coresPerExecutor: 1, memoryMb: 512, resources: { gpu: 1 } },
        },
      }),
      anApp({ id: 'app-2', seq: 2, state: 'WAITING' }),
    ],
    executors: [anExecutor({ appId: 'app-1', id: 0, workerId: 'w2' })],
  });
}

const plan = (cluster: Cluster, seedValue = 1): Plan =>
  schedule(cluster, config, mulberry32(seedValue));
const lease = async (holder = 'scheduler-a') =>
  (await acquireLease(table, 'scheduler', holder, Date.now(), 30_000)) ?? expect.fail('no lease');

describe('loading', () => {
  it('reads back exactly the records written', async () => {
    await seed();
    const { cluster } = await loadActiveCluster(table);
    expect(Object.keys(cluster.workers).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(cluster.workers.w1?.resources).toEqual({ gpu: ['0', '1', '2', '3'] });
    expect(Object.keys(cluster.drivers)).toHaveLength(4);
    expect(cluster.executors['app-1/0']?.workerId).toBe('w2');
    expect(violations(cluster)).toEqual([]);
  });
});

describe('reads', () => {
  it('a pass reads the same 4 requests however many completed records are retained', async () => {
    await seed();
    await putRecords(table, {
      applications: Array.from({ length: 300 }, (_, i) =>
        anApp({ id: `app-done-${i}`, seq: 100 + i, state: 'FINISHED', endTimeMs: i }),
      ),
      drivers: Array.from({ length: 300 }, (_, i) =>
        aDriver({ id: `driver-done-${i}`, seq: 100 + i, state: 'FINISHED', endTimeMs: i }),
      ),
    });
    let requests = 0;
    table.doc.middlewareStack.add(
      (next) => (args) => {
        requests++;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const { cluster } = await loadActiveCluster(table);
    expect(requests).toBe(4);
    expect(Object.keys(cluster.applications)).toHaveLength(3);
    expect(Object.keys(cluster.drivers)).toHaveLength(4);
  });
});

describe('counters', () => {
  it('hand out every number once, concurrently', async () => {
    const firsts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => reserveNumbers(table, 'driver', (i % 3) + 1)),
    );
    const numbers = firsts.flatMap((first, i) =>
      Array.from({ length: (i % 3) + 1 }, (_, k) => first + k),
    );
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(Math.min(...numbers)).toBe(0);
    expect(Math.max(...numbers)).toBe(numbers.length - 1);
  });
});

describe('the lease', () => {
  it('has one holder; expiry hands it over with a larger epoch; the old holder is fenced', async () => {
    const a = await acquireLease(table, 'scheduler', 'a', 1000, 10_000);
    expect(a?.epoch).toBe(1);
    expect(await acquireLease(table, 'scheduler', 'b', 5000, 10_000)).toBeUndefined();
    const b = await acquireLease(table, 'scheduler', 'b', 11_001, 10_000);
    expect(b?.epoch).toBe(2);
    expect(await renewLease(table, a as never, 12_000, 10_000)).toBeUndefined();
    expect(await renewLease(table, b as never, 12_000, 10_000)).toMatchObject({ epoch: 2 });
    expect(await releaseLease(table, a as never)).toBe(false);
    expect(await releaseLease(table, b as never)).toBe(true);
    const c = await acquireLease(table, 'scheduler', 'c', 12_001, 10_000);
    expect(c?.epoch).toBe(3);
  });
});

describe('committing a plan', () => {
  it('stores what applying the plan to the cluster gives', async () => {
    await seed();
    const loaded = await loadActiveCluster(table);
    const p = plan(loaded.cluster);
    expect(p.drivers.length).toBe(4);
    expect(p.executors.length).toBeGreaterThan(0);
    const outcome = await commitPlan(table, loaded, p, await lease(), 5_000);
    expect(outcome.conflict).toBe(false);
    const after = await loadActiveCluster(table);
    expect(after.cluster).toEqual(applyPlan(loaded.cluster, p, 5_000).cluster);
    expect(violations(after.cluster)).toEqual([]);
  });

  it('a duplicate commit of the same plan changes nothing', async () => {
    await seed();
    const loaded = await loadActiveCluster(table);
    const p = plan(loaded.cluster);
    const l = await lease();
    await commitPlan(table, loaded, p, l, 5_000);
    const once = await loadActiveCluster(table);
    const again = await commitPlan(table, loaded, p, l, 5_000);
    expect(again.conflict).toBe(true);
    expect(again.committed.executors).toEqual([]);
    expect((await loadActiveCluster(table)).cluster).toEqual(once.cluster);
  });

  it('two schedulers committing different plans from one snapshot never over-commit', async () => {
    await seed();
    const loaded = await loadActiveCluster(table);
    const l = await lease();
    // Different shuffles place drivers differently; both plans fit the snapshot alone.
    const outcomes = await Promise.all([
      commitPlan(table, loaded, plan(loaded.cluster, 1), l, 5_000),
      commitPlan(table, loaded, plan(loaded.cluster, 2), l, 5_000),
    ]);
    expect(outcomes.filter((o) => o.conflict).length).toBeGreaterThanOrEqual(1);
    const after = await loadActiveCluster(table);
    expect(violations(after.cluster)).toEqual([]);
    // Whatever landed, a fresh pass completes the work.
    const next = await loadActiveCluster(table);
    const rest = await commitPlan(table, next, plan(next.cluster), l, 5_000);
    expect(rest.conflict).toBe(false);
    const done = await loadActiveCluster(table);
    expect(violations(done.cluster)).toEqual([]);
    expect(Object.values(done.cluster.drivers).every((d) => d.state === 'RUNNING')).toBe(true);
  });

  it('a leader whose lease moved on is rejected and writes nothing', async () => {
    await seed();
    const loaded = await loadActiveCluster(table);
    const stale = await acquireLease(table, 'scheduler', 'a', 1000, 10);
    await acquireLease(table, 'scheduler', 'b', Date.now(), 30_000);
    const outcome = await commitPlan(table, loaded, plan(loaded.cluster), stale as never, 5_000);
    expect(outcome.conflict).toBe(true);
    expect((await loadActiveCluster(table)).cluster).toEqual(loaded.cluster);
  });

  it('a pass crashed between transactions leaves a sound state the next pass completes', async () => {
    // Enough placements for several transactions: 60 one-core drivers on 3 roomy workers.
    await putRecords(table, {
      workers: ['w1', 'w2', 'w3'].map((id) => aWorker({ id, cores: 64, memoryMb: 65536 })),
      drivers: Array.from({ length: 150 }, (_, i) =>
        aDriver({ id: `driver-${String(i).padStart(3, '0')}`, seq: i }),
      ),
    });
    const l = await lease();
    const loaded = await loadActiveCluster(table);
    const p = plan(loaded.cluster);
    let writes = 0;
    const crashAfterOne: FaultHook = () => {
      if (writes++ === 1) throw new Error('crash');
    };
    await expect(commitPlan(table, loaded, p, l, 5_000, crashAfterOne)).rejects.toThrow('crash');
    const partial = await loadActiveCluster(table);
    expect(violations(partial.cluster)).toEqual([]);
    const running = Object.values(partial.cluster.drivers).filter((d) => d.state === 'RUNNING');
    expect(running.length).toBeGreaterThan(0);
    expect(running.length).toBeLessThan(150);
    const next = await commitPlan(table, partial, plan(partial.cluster), l, 5_000);
    expect(next.conflict).toBe(false);
    const done = await loadActiveCluster(table);
    expect(violations(done.cluster)).toEqual([]);
    expect(Object.values(done.cluster.drivers).filter((d) => d.state === 'RUNNING')).toHaveLength(
      150,
    );
  });
});
