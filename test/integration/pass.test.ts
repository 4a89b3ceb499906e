// Scheduling passes against DynamoDB Local: crashes at every write, passes run twice,
// two schedulers at once, and a leader whose lease expires mid-pass.
import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { masterConfig } from '../../lib/core/config.js';
import { assignedTo } from '../../lib/core/lifecycle.js';
import { loadActiveCluster, putRecords } from '../../lib/store/cluster.js';
import { assignmentKey, driverAssignment, executorAssignment } from '../../lib/store/layout.js';
import { acquireLease } from '../../lib/store/lease.js';
import { type PassOptions, runSchedulingPass, SCHEDULER_LEASE } from '../../lib/store/pass.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { readWorker } from '../../lib/store/workers.js';
import { aDriver, anApp, aWorker } from '../unit/core/fixtures.js';
import { localClientConfig, uniqueName } from './aws.js';
import { violations } from './invariants.js';

const config = masterConfig();
let table: Table;

const options = (overrides: Partial<PassOptions> = {}): PassOptions => ({
  holder: uniqueName('pass'),
  leaseMs: 30_000,
  maxAttempts: 3,
  now: Date.now,
  random: mulberry32(7),
  ...overrides,
});

/** Enough work for several transactions: 120 drivers and 10 apps on 4 workers. */
async function seed(): Promise<void> {
  await putRecords(table, {
    workers: ['w1', 'w2', 'w3', 'w4'].map((id) => aWorker({ id, cores: 64, memoryMb: 262_144 })),
    drivers: Array.from({ length: 120 }, (_, i) =>
      aDriver({ id: `driver-${String(i).padStart(3, '0')}`, seq: i }),
    ),
    applications: Array.from({ length: 10 }, (_, i) => {
      const base = anApp({ id: 'x' });
      return anApp({
        id: `app-${i}`,
        seq: i,
        state: 'WAITING',
        description: { ...base.description, maxCores: 8 },
        resourceProfiles: { 0: { id: 0, coresPerExecutor: 2, memoryMb: 1024, resources: {} } },
      });
    }),
  });
}

async function assertComplete(): Promise<void> {
  const { cluster } = await loadActiveCluster(table);
  expect(violations(cluster)).toEqual([]);
  expect(Object.values(cluster.drivers).every((d) => d.state === 'RUNNING')).toBe(true);
  expect(Object.values(cluster.applications).every((a) => a.coresGranted === 8)).toBe(true);
  expect(Object.keys(cluster.executors)).toHaveLength(40);
}

beforeEach(async () => {
  table = openTable(uniqueName('sparkplane'), localClientConfig());
  await ensureTable(table);
  await seed();
});

describe('a scheduling pass', () => {
  it('places everything, and the same pass run again does nothing', async () => {
    const first = await runSchedulingPass(table, config, options());
    expect(first).toMatchObject({ kind: 'done', settled: true, attempts: 1 });
    await assertComplete();
    const before = await loadActiveCluster(table);
    const second = await runSchedulingPass(table, config, options());
    expect(second).toMatchObject({
      kind: 'done',
      committed: [],
      effects: [],
      attempts: 1,
      settled: true,
    });
    expect((await loadActiveCluster(table)).cluster).toEqual(before.cluster);
  });

  it("leaves each worker's desired state on its item, with a new generation", async () => {
    await runSchedulingPass(table, config, options());
    const { cluster } = await loadActiveCluster(table);
    for (const id of Object.keys(cluster.workers)) {
      const stored = await readWorker(table, id);
      const expected = assignedTo(cluster, id);
      expect(stored?.assigned).toEqual(
        [
          ...expected.executors.map(executorAssignment),
          ...expected.drivers.map(driverAssignment),
        ].sort((a, b) => (assignmentKey(a) < assignmentKey(b) ? -1 : 1)),
      );
      expect(stored?.generation).toBeGreaterThan(0);
    }
  });

  it('crashed between any two writes, the next pass completes the work', async () => {
    // Count the writes of an uninterrupted pass on a copy of the same state.
    let points = 0;
    const probe = openTable(uniqueName('probe'), localClientConfig());
    await ensureTable(probe);
    const saved = table;
    table = probe;
    await seed();
    await runSchedulingPass(probe, config, options({ faults: () => void points++ }));
    table = saved;
    expect(points).toBeGreaterThan(1);

    for (let crashAt = 0; crashAt < points; crashAt++) {
      table = openTable(uniqueName('crash'), localClientConfig());
      await ensureTable(table);
      await seed();
      let seen = 0;
      // A dead process writes nothing more: every later point fails too, the lease included.
      const crash = () => {
        if (seen++ >= crashAt) throw new Error(`crash before write ${crashAt}`);
      };
      await expect(runSchedulingPass(table, config, options({ faults: crash }))).rejects.toThrow(
        'crash',
      );
      expect(violations((await loadActiveCluster(table)).cluster)).toEqual([]);
      // The next pass runs once the dead holder's lease has expired.
      const later = await runSchedulingPass(
        table,
        config,
        options({ now: () => Date.now() + 60_000 }),
      );
      expect(later).toMatchObject({ kind: 'done', settled: true });
      await assertComplete();
    }
  });

  it('two schedulers at once: one leads, the other leaves the nudge for later', async () => {
    const outcomes = await Promise.all([
      runSchedulingPass(table, config, options()),
      runSchedulingPass(table, config, options()),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['done', 'not-leader']);
    await assertComplete();
  });

  it('a leader whose lease expires mid-pass has every write rejected', async () => {
    const clock = { now: Date.now() };
    let takenOver = false;
    const outcome = await runSchedulingPass(
      table,
      config,
      options({
        leaseMs: 1000,
        now: () => clock.now,
        faults: async () => {
          if (takenOver) return;
          takenOver = true;
          // The lease runs out while the pass plans; another scheduler takes it.
          await acquireLease(table, SCHEDULER_LEASE, 'other', clock.now + 5000, 30_000);
        },
      }),
    );
    expect(outcome).toMatchObject({ kind: 'done', settled: false, committed: [] });
    const { cluster } = await loadActiveCluster(table);
    expect(violations(cluster)).toEqual([]);
    expect(Object.values(cluster.drivers).every((d) => d.state === 'SUBMITTED')).toBe(true);
  });
});
