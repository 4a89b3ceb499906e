// Random sequences of cluster events, with crashes and duplicate deliveries, through the
// core and the store on DynamoDB Local. After every step: no worker over-committed, its
// used capacity equals what is placed on it, every accepted driver and application still
// exists, no executor id is given twice.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { masterConfig } from '../../lib/core/config.js';
import {
  type Context,
  decommissionWorker,
  driverStateChanged,
  executorStateChanged,
  finishApplication,
  registerApplication,
  registerWorker,
  repairs,
  requestExecutors,
  submitDriver,
  type Transition,
  workerLost,
} from '../../lib/core/lifecycle.js';
import { type Cluster, isExecutorLive } from '../../lib/core/model.js';
import { type LoadedCluster, loadActiveCluster } from '../../lib/store/cluster.js';
import { commitTransition } from '../../lib/store/commit-transition.js';
import { PK } from '../../lib/store/layout.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { aDriver, anApp } from '../unit/core/fixtures.js';
import { localClientConfig, uniqueName } from './aws.js';
import { violations } from './invariants.js';

type Event =
  | { kind: 'registerWorker'; cores: number; memory: number; gpus: number }
  | { kind: 'submitDriver'; cores: number; memory: number; supervise: boolean }
  | { kind: 'registerApp'; maxCores?: number; cpe?: number; memory: number; gpus: number }
  | { kind: 'pass' }
  | { kind: 'crashedPass'; at: number }
  | { kind: 'executorRunning'; pick: number }
  | { kind: 'executorEnds'; pick: number; state: 'EXITED' | 'FAILED' | 'KILLED'; exit: number }
  | { kind: 'workerLost'; pick: number; bounded: boolean }
  | { kind: 'finishApp'; pick: number; bounded: boolean }
  | { kind: 'decommission'; pick: number; bounded: boolean }
  | { kind: 'requestExecutors'; pick: number; total: number }
  | { kind: 'driverEnds'; pick: number; state: 'FINISHED' | 'FAILED' }
  | { kind: 'duplicate' };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    kind: fc.constant('registerWorker' as const),
    cores: fc.integer({ min: 1, max: 8 }),
    memory: fc.constantFrom(1024, 4096, 8192),
    gpus: fc.nat(2),
  }),
  fc.record({
    kind: fc.constant('submitDriver' as const),
    cores: fc.integer({ min: 1, max: 2 }),
    memory: fc.constantFrom(512, 1024),
    supervise: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('registerApp' as const),
    maxCores: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    cpe: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    memory: fc.constantFrom(256, 1024),
    gpus: fc.constantFrom(0, 0, 1),
  }),
  fc.constant({ kind: 'pass' as const }),
  fc.record({ kind: fc.constant('crashedPass' as const), at: fc.nat(3) }),
  fc.record({ kind: fc.constant('executorRunning' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('executorEnds' as const),
    pick: fc.nat(),
    state: fc.constantFrom('EXITED' as const, 'FAILED' as const, 'KILLED' as const),
    exit: fc.constantFrom(0, 1),
  }),
  // Bounded: only the first step of a multi-step change is stored, as if the handler died
  // right after its first transaction; a later pass must settle the rest.
  fc.record({ kind: fc.constant('workerLost' as const), pick: fc.nat(), bounded: fc.boolean() }),
  fc.record({ kind: fc.constant('finishApp' as const), pick: fc.nat(), bounded: fc.boolean() }),
  fc.record({
    kind: fc.constant('decommission' as const),
    pick: fc.nat(),
    bounded: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('requestExecutors' as const),
    pick: fc.nat(),
    total: fc.nat(4),
  }),
  fc.record({
    kind: fc.constant('driverEnds' as const),
    pick: fc.nat(),
    state: fc.constantFrom('FINISHED' as const, 'FAILED' as const),
  }),
  fc.constant({ kind: 'duplicate' as const }),
);

const config = masterConfig();

/** Replays one sequence, checking the invariants after every step. */
async function replay(events: Event[]): Promise<void> {
  const table: Table = openTable(uniqueName('seq'), localClientConfig());
  await ensureTable(table);
  let counter = 0;
  let clock = Date.now();
  const ctx = (): Context => ({
    now: clock,
    nextDriver: () => ({ id: `driver-${String(counter).padStart(4, '0')}`, seq: counter++ }),
  });
  const acceptedDrivers = new Set<string>();
  const acceptedApps = new Set<string>();
  let last: { loaded: LoadedCluster; next: Cluster } | undefined;

  const pick = <T>(items: T[], n: number): T | undefined =>
    items.length === 0 ? undefined : items[n % items.length];

  async function apply(event: (c: Cluster) => Transition): Promise<void> {
    const loaded = await loadActiveCluster(table);
    const t = event(loaded.cluster);
    if (t.cluster === loaded.cluster) return;
    expect(await commitTransition(table, loaded, t.cluster)).toBe(true);
    last = { loaded, next: t.cluster };
    for (const d of Object.values(t.cluster.drivers)) acceptedDrivers.add(d.id);
    for (const a of Object.values(t.cluster.applications)) acceptedApps.add(a.id);
  }

  for (const e of events) {
    clock += 1000;
    const { cluster } = await loadActiveCluster(table);
    const live = Object.values(cluster.executors).filter((x) => isExecutorLive(x.state));
    switch (e.kind) {
      case 'registerWorker': {
        const id = `w${counter++}`;
        const reg = {
          id,
          host: `h-${id}`,
          port: 7078,
          cores: e.cores,
          memoryMb: e.memory,
          webUiUrl: '',
          resources: (e.gpus > 0
            ? { gpu: Array.from({ length: e.gpus }, (_, i) => String(i)) }
            : {}) as Record<string, string[]>,
        };
        await apply((c) => registerWorker(c, reg, ctx()));
        break;
      }
      case 'submitDriver': {
        const description = {
          ...aDriver({ id: 'x' }).description,
          cores: e.cores,
          memoryMb: e.memory,
          supervise: e.supervise,
        };
        const identity = ctx().nextDriver();
        await apply((c) => submitDriver(c, identity, description, clock));
        break;
      }
      case 'registerApp': {
        const base = anApp({ id: 'x' }).description;
        const profile = {
          ...(e.cpe === undefined ? {} : { coresPerExecutor: e.cpe }),
          memoryMb: e.memory,
          resources: (e.gpus > 0 ? { gpu: e.gpus } : {}) as Record<string, number>,
        };
        const seq = counter++;
        await apply((c) =>
          registerApplication(
            c,
            { id: `app-${String(seq).padStart(4, '0')}`, seq },
            {
              ...base,
              ...(e.maxCores === undefined ? {} : { maxCores: e.maxCores }),
              defaultProfile: profile,
            },
            clock,
          ),
        );
        break;
      }
      case 'pass':
      case 'crashedPass': {
        let writes = 0;
        const crash = () => {
          if (e.kind === 'crashedPass' && writes++ >= e.at) throw new Error('crash');
        };
        await runSchedulingPass(table, config, {
          holder: uniqueName('pass'),
          leaseMs: 500,
          maxAttempts: 3,
          now: () => clock,
          random: mulberry32(counter),
          faults: crash,
        }).catch((error: Error) => {
          if (error.message !== 'crash') throw error;
        });
        clock += 1000; // a crashed holder's lease runs out before the next pass
        last = undefined;
        if (e.kind === 'pass') {
          // A whole pass leaves nothing unsettled, whatever earlier steps were cut short.
          const { cluster: passed } = await loadActiveCluster(table);
          expect(repairs(passed, ctx()).cluster).toBe(passed);
        }
        break;
      }
      case 'executorRunning': {
        const x = pick(live, e.pick);
        if (x) {
          await apply((c) =>
            executorStateChanged(
              c,
              { appId: x.appId, executorId: x.id, state: 'RUNNING' },
              config,
              clock,
            ),
          );
        }
        break;
      }
      case 'executorEnds': {
        const x = pick(live, e.pick);
        if (x) {
          await apply((c) =>
            executorStateChanged(
              c,
              { appId: x.appId, executorId: x.id, state: e.state, exitStatus: e.exit },
              config,
              clock,
            ),
          );
        }
        break;
      }
      case 'workerLost': {
        const w = pick(Object.keys(cluster.workers).sort(), e.pick);
        const budget = e.bounded ? 1 : undefined;
        if (w) await apply((c) => workerLost(c, w, 'lost in test', ctx(), budget));
        break;
      }
      case 'finishApp': {
        const a = pick(Object.keys(cluster.applications).sort(), e.pick);
        const budget = e.bounded ? 1 : undefined;
        if (a) await apply((c) => finishApplication(c, a, 'FINISHED', clock, budget));
        break;
      }
      case 'decommission': {
        const w = pick(Object.keys(cluster.workers).sort(), e.pick);
        if (w) await apply((c) => decommissionWorker(c, w, e.bounded ? 1 : undefined));
        break;
      }
      case 'requestExecutors': {
        const a = pick(Object.values(cluster.applications), e.pick);
        if (a) {
          await apply((c) => requestExecutors(c, a.id, [{ resourceProfileId: 0, total: e.total }]));
        }
        break;
      }
      case 'driverEnds': {
        const running = Object.values(cluster.drivers).filter((d) => d.state === 'RUNNING');
        const d = pick(running, e.pick);
        if (d) await apply((c) => driverStateChanged(c, { driverId: d.id, state: e.state }, clock));
        break;
      }
      case 'duplicate': {
        // The last change delivered again: computed from the stale read, it must be refused.
        if (last) expect(await commitTransition(table, last.loaded, last.next)).toBe(false);
        break;
      }
    }

    const after = await loadActiveCluster(table);
    expect(violations(after.cluster)).toEqual([]);
    const stored = async (pk: string) =>
      (
        await table.doc.send(
          new QueryCommand({
            TableName: table.name,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
          }),
        )
      ).Items ?? [];
    const drivers = new Set(
      [...(await stored(PK.driver)), ...(await stored(PK.completedDriver))].map((i) => i.sk),
    );
    for (const id of acceptedDrivers) expect(drivers.has(id), `driver ${id} lost`).toBe(true);
    const apps = new Set(
      [...(await stored(PK.application)), ...(await stored(PK.completedApplication))].map(
        (i) => i.sk,
      ),
    );
    for (const id of acceptedApps) expect(apps.has(id), `application ${id} lost`).toBe(true);
    const executorIds = [...(await stored(PK.executor)), ...(await stored(PK.endedExecutor))].map(
      (i) => i.sk as string,
    );
    expect(new Set(executorIds).size).toBe(executorIds.length);
  }
}

describe('random event sequences with crashes and duplicates', () => {
  it('keep every invariant after every step', { timeout: 600_000 }, async () => {
    // A cluster with work placed on it first, so later events have something to act on.
    const sequence = fc
      .tuple(
        fc.array(
          eventArb.filter((e) => e.kind === 'registerWorker'),
          { minLength: 1, maxLength: 3 },
        ),
        fc.array(
          eventArb.filter((e) => e.kind === 'registerApp'),
          { minLength: 1, maxLength: 2 },
        ),
        fc.array(
          eventArb.filter((e) => e.kind === 'submitDriver'),
          { maxLength: 2 },
        ),
        fc.array(eventArb, { minLength: 3, maxLength: 10 }),
      )
      .map(([workers, apps, drivers, rest]): Event[] => [
        ...workers,
        ...apps,
        ...drivers,
        { kind: 'pass' },
        ...rest,
      ]);
    await fc.assert(fc.asyncProperty(sequence, replay), { numRuns: 200 });
  });
});
