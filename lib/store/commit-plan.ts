// Commits a scheduling pass's plan. Each transaction holds whole placements and says, per
// worker, "take this capacity only if it is free and the worker is ALIVE": a worker is
// never over-committed, whoever writes and whatever the lease says. The lease check
// additionally rejects a leader that lost its lease mid-pass.

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type StateChange, stateChanges } from '../core/events.js';
import { applyPlan } from '../core/lifecycle.js';
import type { Executor, Worker } from '../core/model.js';
import type { DriverLaunch, ExecutorLaunch, Plan } from '../core/schedule.js';
import type { LoadedCluster } from './cluster.js';
import {
  type Assignment,
  assignmentKey,
  driverAssignment,
  executorAssignment,
  executorItemKey,
  LISTING,
  listingValue,
  PK,
  recordItem,
  workerKey,
} from './layout.js';
import { fence, type Lease } from './lease.js';
import { byEntity, entityKey, OUTBOX, publishOutbox } from './outbox.js';
import type { Table } from './table.js';

/** DynamoDB's limit on items in one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/** Called before each write; a test hook throws here to crash the pass between writes. */
export type FaultHook = (point: string) => void | Promise<void>;

export interface CommitOutcome {
  /** The placements that are durable. */
  readonly committed: Plan;
  /** A condition failed: capacity or records changed since the read, or the lease moved. */
  readonly conflict: boolean;
}

interface Take {
  cores: number;
  memoryMb: number;
  resources: Record<string, string[]>;
  assignments: Assignment[];
}

/** Placements grouped so that each item appears once per transaction. */
class Chunk {
  readonly drivers: DriverLaunch[] = [];
  readonly executors: ExecutorLaunch[] = [];
  readonly workers = new Map<string, Take>();
  readonly apps = new Map<string, { cores: number; next: number }>();

  itemsWith(workerId: string, appId?: string): number {
    return (
      this.drivers.length +
      this.executors.length +
      1 +
      this.workers.size +
      (this.workers.has(workerId) ? 0 : 1) +
      this.apps.size +
      (appId === undefined || this.apps.has(appId) ? 0 : 1) +
      1 // the lease check
    );
  }

  take(workerId: string, assignment: Assignment) {
    const p = assignment;
    const t = this.workers.get(workerId) ?? {
      cores: 0,
      memoryMb: 0,
      resources: {},
      assignments: [],
    };
    t.cores += p.cores;
    t.memoryMb += p.memoryMb;
    t.assignments.push(assignment);
    for (const [name, addrs] of Object.entries(p.resources)) {
      t.resources[name] = [...(t.resources[name] ?? []), ...addrs];
    }
    this.workers.set(workerId, t);
  }
}

function chunksOf(plan: Plan): Chunk[] {
  const chunks = [new Chunk()];
  const current = () => chunks[chunks.length - 1] as Chunk;
  for (const d of plan.drivers) {
    if (current().itemsWith(d.workerId) > MAX_TRANSACTION_ITEMS) chunks.push(new Chunk());
    current().drivers.push(d);
    current().take(
      d.workerId,
      driverAssignment({ id: d.driverId, resources: d.resources, description: d }),
    );
  }
  for (const e of plan.executors) {
    if (current().itemsWith(e.workerId, e.appId) > MAX_TRANSACTION_ITEMS) chunks.push(new Chunk());
    const chunk = current();
    chunk.executors.push(e);
    chunk.take(e.workerId, executorAssignment({ ...e, id: e.executorId }));
    const app = chunk.apps.get(e.appId) ?? { cores: 0, next: 0 };
    chunk.apps.set(e.appId, {
      cores: app.cores + e.cores,
      next: Math.max(app.next, e.executorId + 1),
    });
  }
  return chunks.filter((c) => c.drivers.length + c.executors.length > 0);
}

function workerUpdate(table: Table, worker: Worker, take: Take) {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = {
    ':alive': 'ALIVE',
    ':cores': take.cores,
    ':memory': take.memoryMb,
    ':maxCoresUsed': worker.cores - take.cores,
    ':maxMemoryUsed': worker.memoryMb - take.memoryMb,
    ':one': 1,
  };
  const add = ['coresUsed :cores', 'memoryUsedMb :memory', 'generation :one'];
  const conditions = [
    '#state = :alive',
    'coresUsed <= :maxCoresUsed',
    'memoryUsedMb <= :maxMemoryUsed',
  ];
  Object.entries(take.resources).forEach(([name, addrs], i) => {
    if (addrs.length === 0) return;
    names['#used'] = 'resourcesUsed';
    names[`#r${i}`] = name;
    values[`:r${i}`] = new Set(addrs);
    add.push(`#used.#r${i} :r${i}`);
    addrs.forEach((addr, k) => {
      values[`:r${i}a${k}`] = addr;
      conditions.push(`NOT contains(#used.#r${i}, :r${i}a${k})`);
    });
  });
  // The worker's desired state changes with its capacity, in the same write.
  const set = take.assignments.map((a, i) => {
    names['#assigned'] = 'assigned';
    names[`#a${i}`] = assignmentKey(a);
    values[`:a${i}`] = a;
    return `#assigned.#a${i} = :a${i}`;
  });
  return {
    Update: {
      TableName: table.name,
      Key: workerKey(worker.id),
      UpdateExpression: `SET ${set.join(', ')} ADD ${add.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Appends a record's new events to its outbox, in the same update. */
const appendOutbox = (
  events: readonly StateChange[],
): { set: string; names: Record<string, string>; values: Record<string, unknown> } =>
  events.length === 0
    ? { set: '', names: {}, values: {} }
    : {
        set: ', #outbox = list_append(if_not_exists(#outbox, :none), :events)',
        names: { '#outbox': OUTBOX },
        values: { ':none': [], ':events': events },
      };

function driverUpdate(table: Table, d: DriverLaunch, now: number, events: readonly StateChange[]) {
  const outbox = appendOutbox(events);
  return {
    Update: {
      TableName: table.name,
      Key: { pk: PK.driver, sk: d.driverId },
      UpdateExpression:
        'SET #state = :running, #listing = :listing, workerId = :worker, workerHostPort = :hostPort, resources = :res, launchTimeMs = :now' +
        `${outbox.set} ADD version :one, stateSeq :one`,
      ConditionExpression: '#state = :submitted AND attribute_not_exists(workerId)',
      ExpressionAttributeNames: { '#state': 'state', '#listing': LISTING, ...outbox.names },
      ExpressionAttributeValues: {
        ...outbox.values,
        ':running': 'RUNNING',
        ':listing': listingValue('driver', 'RUNNING'),
        ':submitted': 'SUBMITTED',
        ':worker': d.workerId,
        ':hostPort': d.workerHostPort,
        ':res': d.resources,
        ':now': now,
        ':one': 1,
      },
    },
  };
}

/** The application RUNNING; from WAITING that is a state change, one more `stateSeq`. */
function applicationUpdate(
  table: Table,
  appId: string,
  expected: { next: number; state: string },
  take: { cores: number; next: number },
  events: readonly StateChange[],
) {
  const waiting = expected.state === 'WAITING';
  const outbox = appendOutbox(events);
  return {
    Update: {
      TableName: table.name,
      Key: { pk: PK.application, sk: appId },
      UpdateExpression: `SET nextExecutorId = :next, #state = :running, #listing = :listing${outbox.set} ADD coresGranted :cores, version :one${waiting ? ', stateSeq :one' : ''}`,
      ConditionExpression: 'nextExecutorId = :expected AND #state = :was',
      ExpressionAttributeNames: { '#state': 'state', '#listing': LISTING, ...outbox.names },
      ExpressionAttributeValues: {
        ...outbox.values,
        ':listing': listingValue('application', 'RUNNING'),
        ':next': take.next,
        ':expected': expected.next,
        ':cores': take.cores,
        ':running': 'RUNNING',
        ':was': waiting ? 'WAITING' : 'RUNNING',
        ':one': 1,
      },
    },
  };
}

function executorPut(table: Table, e: ExecutorLaunch, now: number) {
  const executor: Executor = {
    appId: e.appId,
    id: e.executorId,
    workerId: e.workerId,
    workerHostPort: e.workerHostPort,
    resourceProfileId: e.resourceProfileId,
    cores: e.cores,
    memoryMb: e.memoryMb,
    resources: e.resources,
    state: 'LAUNCHING',
    launchTimeMs: now,
  };
  return {
    Put: {
      TableName: table.name,
      Item: recordItem(executorItemKey(executor), executor, 0),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Writes the plan in transactions of whole placements, in plan order, launched at `now`.
 * Stops at the first conflict and says so: the caller re-reads and plans again.
 */
export async function commitPlan(
  table: Table,
  loaded: LoadedCluster,
  plan: Plan,
  lease: Lease,
  now: number,
  faults?: FaultHook,
): Promise<CommitOutcome> {
  const committedDrivers: DriverLaunch[] = [];
  const committedExecutors: ExecutorLaunch[] = [];
  const nextExecutorId = new Map(
    Object.values(loaded.cluster.applications).map((a) => [a.id, a.nextExecutorId]),
  );
  const appStates = new Map(
    Object.values(loaded.cluster.applications).map((a) => [a.id, a.state as string]),
  );
  // The plan's state changes (drivers RUNNING, applications WAITING → RUNNING), each
  // written with its record's update when a sink will publish them.
  const events = table.events
    ? byEntity(stateChanges(loaded.cluster, applyPlan(loaded.cluster, plan, now).cluster, now))
    : new Map<string, StateChange[]>();
  const eventsOf = (key: string) => events.get(key) ?? [];
  const chunks = chunksOf(plan);
  for (const [i, chunk] of chunks.entries()) {
    await faults?.(`commit ${i + 1}/${chunks.length}`);
    const items = [
      ...[...chunk.workers].map(([id, take]) =>
        workerUpdate(table, loaded.cluster.workers[id] as Worker, take),
      ),
      ...chunk.drivers.map((d) =>
        driverUpdate(table, d, now, eventsOf(entityKey('driver', d.driverId))),
      ),
      ...[...chunk.apps].map(([id, take]) =>
        applicationUpdate(
          table,
          id,
          { next: nextExecutorId.get(id) ?? 0, state: appStates.get(id) ?? 'WAITING' },
          take,
          appStates.get(id) === 'WAITING' ? eventsOf(entityKey('application', id)) : [],
        ),
      ),
      ...chunk.executors.map((e) => executorPut(table, e, now)),
      fence(table, lease),
    ];
    try {
      await table.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      if (e instanceof TransactionCanceledException) {
        return {
          committed: { drivers: committedDrivers, executors: committedExecutors, warnings: [] },
          conflict: true,
        };
      }
      throw e;
    }
    committedDrivers.push(...chunk.drivers);
    committedExecutors.push(...chunk.executors);
    await publishOutbox(table, [
      ...chunk.drivers.map((d) => ({
        key: { pk: PK.driver, sk: d.driverId },
        outbox: eventsOf(entityKey('driver', d.driverId)),
      })),
      ...[...chunk.apps.keys()].map((id) => ({
        key: { pk: PK.application, sk: id },
        outbox: appStates.get(id) === 'WAITING' ? eventsOf(entityKey('application', id)) : [],
      })),
    ]);
    for (const [id, take] of chunk.apps) {
      nextExecutorId.set(id, take.next);
      appStates.set(id, 'RUNNING');
    }
  }
  return {
    committed: {
      drivers: committedDrivers,
      executors: committedExecutors,
      warnings: plan.warnings,
    },
    conflict: false,
  };
}
