// Events whose changes are far larger than one DynamoDB transaction: an application with
// 120 executors finishing, a worker with 90 executors and drivers lost. Stored in bounded
// steps through scoped reads; a crash after the first step is settled by the next pass.
import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { masterConfig } from '../../lib/core/config.js';
import { finishApplication, workerLost } from '../../lib/core/lifecycle.js';
import type { Executor } from '../../lib/core/model.js';
import { applyEvent } from '../../lib/store/apply.js';
import { loadActiveCluster, putRecords } from '../../lib/store/cluster.js';
import { commitTransition } from '../../lib/store/commit-transition.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { loadScope } from '../../lib/store/scope.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { readWorker } from '../../lib/store/workers.js';
import { aDriver, anApp, anExecutor, aWorker } from '../unit/core/fixtures.js';
import { localClientConfig, uniqueName } from './aws.js';
import { violations } from './invariants.js';

const config = masterConfig();
let table: Table;

/** app-big: 120 one-core executors over 4 workers; w1 also runs 10 drivers, 5 supervised. */
async function seed(): Promise<void> {
  const executors: Executor[] = Array.from({ length: 120 }, (_, id) =>
    anExecutor({ appId: 'app-big', id, workerId: `w${(id % 4) + 1}`, cores: 1, memoryMb: 256 }),
  );
  const drivers = Array.from({ length: 10 }, (_, i) => {
    const base = aDriver({ id: 'x' }).description;
    return aDriver({
      id: `driver-${i}`,
      seq: i,
      state: 'RUNNING',
      workerId: 'w1',
      description: { ...base, cores: 1, memoryMb: 512, supervise: i % 2 === 0 },
    });
  });
  await putRecords(table, {
    workers: ['w1', 'w2', 'w3', 'w4'].map((id) =>
      aWorker({
        id,
        cores: 64,
        memoryMb: 65_536,
        coresUsed: 30 + (id === 'w1' ? 10 : 0),
        memoryUsedMb: 30 * 256 + (id === 'w1' ? 10 * 512 : 0),
      }),
    ),
    applications: [anApp({ id: 'app-big', coresGranted: 120, nextExecutorId: 120 })],
    executors,
    drivers,
  });
}

beforeEach(async () => {
  table = openTable(uniqueName('apply'), localClientConfig());
  await ensureTable(table);
  await seed();
});

const options = () => ({ now: Date.now(), config });

describe('changes larger than one transaction', () => {
  it('an application with 120 executors finishes: every executor killed, capacity back', async () => {
    const applied = await applyEvent(
      table,
      () => loadScope(table, { applications: ['app-big'] }),
      (cluster, budget) => finishApplication(cluster, 'app-big', 'FINISHED', Date.now(), budget),
      options(),
    );
    expect(applied.decision.known).toBe(true);
    expect(applied.effects.filter((e) => e.type === 'KillExecutor')).toHaveLength(120);
    const { cluster } = await loadActiveCluster(table);
    expect(violations(cluster)).toEqual([]);
    expect(Object.keys(cluster.executors)).toHaveLength(0);
    expect(cluster.workers.w2?.coresUsed).toBe(0);
    expect(cluster.workers.w1?.coresUsed).toBe(10);
    expect((await readWorker(table, 'w1'))?.assigned).toHaveLength(10);
  });

  it('a worker with 30 executors and 10 drivers is lost: all settled, supervised ones relaunched', async () => {
    const applied = await applyEvent(
      table,
      () => loadScope(table, { workersWithAssigned: ['w1'] }),
      (cluster, budget, ctx) => workerLost(cluster, 'w1', 'gone', ctx, budget),
      options(),
    );
    expect(applied.cluster.workers.w1?.state).toBe('DEAD');
    const { cluster } = await loadActiveCluster(table);
    expect(violations(cluster)).toEqual([]);
    expect(Object.values(cluster.executors).filter((e) => e.workerId === 'w1')).toHaveLength(0);
    expect(cluster.applications['app-big']?.coresGranted).toBe(90);
    const waiting = Object.values(cluster.drivers).filter((d) => d.state === 'SUBMITTED');
    expect(waiting).toHaveLength(5);
    expect(new Set(waiting.map((d) => d.id)).size).toBe(5);
    for (const d of waiting) expect(d.id).toMatch(/^driver-\d{14}-\d{4}$/);
  });

  it('a handler that died after the first step: the next pass settles the rest', async () => {
    const loaded = await loadScope(table, { applications: ['app-big'] });
    const first = finishApplication(loaded.cluster, 'app-big', 'KILLED', Date.now(), 10);
    expect(first.unsettled).toBe(true);
    expect(await commitTransition(table, loaded, first.cluster)).toBe(true);
    // ... and here the handler died.
    const stranded = await loadActiveCluster(table);
    expect(violations(stranded.cluster)).toEqual([]);
    expect(Object.keys(stranded.cluster.executors)).toHaveLength(110);

    const outcome = await runSchedulingPass(table, config, {
      holder: uniqueName('pass'),
      leaseMs: 30_000,
      maxAttempts: 3,
      now: Date.now,
      random: mulberry32(3),
    });
    expect(outcome.kind).toBe('done');
    if (outcome.kind !== 'done') return;
    expect(outcome.effects.filter((e) => e.type === 'KillExecutor')).toHaveLength(110);
    const { cluster } = await loadActiveCluster(table);
    expect(Object.keys(cluster.executors)).toHaveLength(0);
    expect(violations(cluster)).toEqual([]);
  });
});
