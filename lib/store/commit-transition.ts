// Stores what a core transition changed, atomically: the records it touched are compared
// with the ones it was computed from, and each change is written on condition that the
// record is still what was read (its version; for workers, its state and capacity).

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type EntityKind, type StateChange, stateChanges } from '../core/events.js';
import { assignedTo } from '../core/lifecycle.js';
import { type Cluster, hostPort, type Worker } from '../core/model.js';
import type { LoadedCluster } from './cluster.js';
import { versionKey } from './cluster.js';
import { MAX_TRANSACTION_ITEMS } from './commit-plan.js';
import {
  ADDRESS_WORKER_PREFIX,
  type Assignment,
  addressKey,
  applicationKey,
  assignmentKey,
  driverAssignment,
  driverKey,
  executorAssignment,
  executorItemKey,
  type Key,
  PK,
  recordItem,
  workerItem,
  workerKey,
} from './layout.js';
import { fence, type Lease } from './lease.js';
import { byEntity, entityKey, OUTBOX, type Outboxed, publishOutbox } from './outbox.js';
import type { Table } from './table.js';

export class TransitionTooLarge extends Error {
  override readonly name = 'TransitionTooLarge';
}

type TransactItem = Record<string, unknown>;

function assignmentsOf(cluster: Cluster, workerId: string): Map<string, Assignment> {
  const { executors, drivers } = assignedTo(cluster, workerId);
  const list = [...executors.map(executorAssignment), ...drivers.map(driverAssignment)];
  return new Map(list.map((a) => [assignmentKey(a), a]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field changes and capacity deltas of one worker, guarded by its state. */
function workerUpdate(
  table: Table,
  before: Worker,
  after: Worker,
  assignedBefore: Map<string, Assignment>,
  assignedAfter: Map<string, Assignment>,
  events: readonly StateChange[],
): TransactItem | undefined {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':expectedState': before.state };
  const set: string[] = [];
  const add: string[] = [];
  const del: string[] = [];
  const remove: string[] = [];
  let n = 0;
  const name = (attr: string) => {
    const k = `#n${n++}`;
    names[k] = attr;
    return k;
  };
  const value = (v: unknown) => {
    const k = `:v${n++}`;
    values[k] = v;
    return k;
  };
  for (const field of ['state', 'lastHeartbeatMs', 'host', 'port', 'webUiUrl'] as const) {
    if (before[field] !== after[field]) set.push(`${name(field)} = ${value(after[field])}`);
  }
  for (const field of ['lostReason', 'instanceId', 'stateSeq'] as const) {
    if (before[field] === after[field]) continue;
    if (after[field] === undefined) remove.push(name(field));
    else set.push(`${name(field)} = ${value(after[field])}`);
  }
  const dCores = after.coresUsed - before.coresUsed;
  const dMemory = after.memoryUsedMb - before.memoryUsedMb;
  if (dCores !== 0) add.push(`coresUsed ${value(dCores)}`);
  if (dMemory !== 0) add.push(`memoryUsedMb ${value(dMemory)}`);
  const conditions = ['#state = :expectedState'];
  if (dCores > 0) conditions.push(`coresUsed <= ${value(after.cores - dCores)}`);
  if (dMemory > 0) conditions.push(`memoryUsedMb <= ${value(after.memoryMb - dMemory)}`);
  const resourceNames = new Set([
    ...Object.keys(before.resourcesUsed),
    ...Object.keys(after.resourcesUsed),
  ]);
  for (const r of resourceNames) {
    const was = before.resourcesUsed[r] ?? [];
    const now = after.resourcesUsed[r] ?? [];
    const taken = now.filter((a) => !was.includes(a));
    const freed = was.filter((a) => !now.includes(a));
    if (taken.length + freed.length === 0) continue;
    const path = `resourcesUsed.${name(r)}`;
    if (taken.length > 0) {
      add.push(`${path} ${value(new Set(taken))}`);
      for (const a of taken) conditions.push(`NOT contains(${path}, ${value(a)})`);
    }
    if (freed.length > 0) del.push(`${path} ${value(new Set(freed))}`);
  }
  let desiredChanged = false;
  for (const [k, a] of assignedAfter) {
    if (!same(assignedBefore.get(k), a)) {
      set.push(`assigned.${name(k)} = ${value(a)}`);
      desiredChanged = true;
    }
  }
  for (const k of assignedBefore.keys()) {
    if (!assignedAfter.has(k)) {
      remove.push(`assigned.${name(k)}`);
      desiredChanged = true;
    }
  }
  if (desiredChanged) add.push(`generation ${value(1)}`);
  if (events.length > 0) {
    const outbox = name(OUTBOX);
    set.push(`${outbox} = list_append(if_not_exists(${outbox}, ${value([])}), ${value(events)})`);
  }
  if (set.length + add.length + del.length + remove.length === 0) return undefined;
  const expression = [
    set.length > 0 ? `SET ${set.join(', ')}` : '',
    add.length > 0 ? `ADD ${add.join(', ')}` : '',
    del.length > 0 ? `DELETE ${del.join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    Update: {
      TableName: table.name,
      Key: workerKey(after.id),
      UpdateExpression: expression,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** A versioned record: rewritten in place, moved to another partition, created or dropped. */
function recordWrites(
  table: Table,
  before: { key: Key; record: object; version: number } | undefined,
  after: { key: Key; record: object } | undefined,
  /** What the record's outbox holds once written: its pending events and its new ones. */
  outbox: readonly StateChange[],
): TransactItem[] {
  const put = (key: Key, record: object, version: number, condition: string, v?: number) => ({
    Put: {
      TableName: table.name,
      Item: {
        ...recordItem(key, record, version),
        ...(outbox.length > 0 ? { [OUTBOX]: outbox } : {}),
      },
      ConditionExpression: condition,
      ...(v === undefined ? {} : { ExpressionAttributeValues: { ':v': v } }),
    },
  });
  const remove = (key: Key, version: number) => ({
    Delete: {
      TableName: table.name,
      Key: key,
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': version },
    },
  });
  if (!before && after) return [put(after.key, after.record, 0, 'attribute_not_exists(pk)')];
  if (before && !after) return [remove(before.key, before.version)];
  if (!before || !after || before.record === after.record) return [];
  const version = before.version + 1;
  if (before.key.pk === after.key.pk) {
    return [put(after.key, after.record, version, 'version = :v', before.version)];
  }
  return [
    remove(before.key, before.version),
    put(after.key, after.record, version, 'attribute_not_exists(pk)'),
  ];
}

/**
 * The address index follows the workers listed and gone. A registration read its address
 * item: its write is conditional on the version it read, so two registrations at one
 * address never both succeed. A removal needs no condition; it changes the version.
 */
function addressWrites(
  table: Table,
  loaded: LoadedCluster,
  prev: Cluster,
  next: Cluster,
): TransactItem[] {
  const changes = new Map<string, { added: string[]; removed: string[] }>();
  const change = (w: Worker) => {
    const address = hostPort(w);
    const c = changes.get(address) ?? { added: [], removed: [] };
    changes.set(address, c);
    return c;
  };
  for (const [id, w] of Object.entries(next.workers))
    if (!prev.workers[id]) change(w).added.push(id);
  for (const [id, w] of Object.entries(prev.workers))
    if (!next.workers[id]) change(w).removed.push(id);
  return [...changes].map(([address, { added, removed }]) => {
    const names: Record<string, string> = {};
    const id = (workerId: string) => {
      const k = `#w${Object.keys(names).length}`;
      names[k] = `${ADDRESS_WORKER_PREFIX}${workerId}`;
      return k;
    };
    const set = added.map((w) => `${id(w)} = :one`);
    const remove = removed.map(id);
    const read = loaded.versions.get(versionKey(PK.address, address));
    const condition =
      read === undefined
        ? {}
        : read === 0
          ? { ConditionExpression: 'attribute_not_exists(version)' }
          : { ConditionExpression: 'version = :read' };
    return {
      Update: {
        TableName: table.name,
        Key: addressKey(address),
        UpdateExpression: [
          `ADD version :one`,
          set.length > 0 ? `SET ${set.join(', ')}` : '',
          remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(' '),
        ...condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':one': 1, ...(read ? { ':read': read } : {}) },
      },
    };
  });
}

/** The writes that turn `loaded.cluster` into `next`, one transaction's worth. */
export function transitionWrites(
  table: Table,
  loaded: LoadedCluster,
  next: Cluster,
  lease?: Lease,
): TransactItem[] {
  return planWrites(table, loaded, next, lease).items;
}

/**
 * The writes, and the records they give an outbox. With an event sink, `at` (when the
 * transition happened) dates the state changes each record carries in its outbox.
 */
function planWrites(
  table: Table,
  loaded: LoadedCluster,
  next: Cluster,
  lease?: Lease,
  at = 0,
): { items: TransactItem[]; outboxed: Outboxed[] } {
  const prev = loaded.cluster;
  const items: TransactItem[] = [];
  const outboxed: Outboxed[] = [];
  const versionOf = (pk: string, sk: string) => loaded.versions.get(versionKey(pk, sk)) ?? 0;
  const events = table.events ? byEntity(stateChanges(prev, next, at)) : new Map();
  const eventsOf = (kind: EntityKind, id: string): StateChange[] =>
    events.get(entityKey(kind, id)) ?? [];

  for (const id of new Set([...Object.keys(prev.workers), ...Object.keys(next.workers)])) {
    const before = prev.workers[id];
    const after = next.workers[id];
    if (before && !after) {
      items.push({
        Delete: {
          TableName: table.name,
          Key: workerKey(id),
          ConditionExpression: '#state = :s',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':s': before.state },
        },
      });
    } else if (!before && after) {
      const outbox = eventsOf('worker', id);
      items.push({
        Put: {
          TableName: table.name,
          Item: { ...workerItem(after), ...(outbox.length > 0 ? { [OUTBOX]: outbox } : {}) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      if (outbox.length > 0) outboxed.push({ key: workerKey(id), outbox });
    } else if (before && after) {
      const outbox = eventsOf('worker', id);
      const update = workerUpdate(
        table,
        before,
        after,
        assignmentsOf(prev, id),
        assignmentsOf(next, id),
        outbox,
      );
      if (update) items.push(update);
      // Pending events of the worker stay unknown here: its clear fails, cleanup takes them.
      if (outbox.length > 0) outboxed.push({ key: workerKey(id), outbox });
    }
  }

  items.push(...addressWrites(table, loaded, prev, next));

  const kinds = [
    ['drivers', driverKey, 'driver'],
    ['applications', applicationKey, 'application'],
    ['executors', executorItemKey, undefined],
  ] as const;
  for (const [kind, keyOf, entity] of kinds) {
    const was = prev[kind] as Record<string, never>;
    const now = next[kind] as Record<string, never>;
    if (was === now) continue;
    for (const id of new Set([...Object.keys(was), ...Object.keys(now)])) {
      const b = was[id];
      const a = now[id];
      if (b === a) continue;
      const bKey = b ? (keyOf as (r: never) => Key)(b) : undefined;
      const aKey = a ? (keyOf as (r: never) => Key)(a) : undefined;
      const fresh = entity ? eventsOf(entity, id) : [];
      const pending = bKey ? (loaded.outboxes?.get(versionKey(bKey.pk, bKey.sk)) ?? []) : [];
      const outbox = [...pending, ...fresh];
      items.push(
        ...recordWrites(
          table,
          b && bKey ? { key: bKey, record: b, version: versionOf(bKey.pk, bKey.sk) } : undefined,
          a && aKey ? { key: aKey, record: a } : undefined,
          outbox,
        ),
      );
      if (aKey && outbox.length > 0) outboxed.push({ key: aKey, outbox });
    }
  }
  if (items.length > 0 && lease) items.push(fence(table, lease));
  return { items, outboxed };
}

/**
 * Commits a transition computed from `loaded`. Returns false on a conflict (something
 * changed since the read): the caller reads again and recomputes.
 */
export async function commitTransition(
  table: Table,
  loaded: LoadedCluster,
  next: Cluster,
  lease?: Lease,
  at?: number,
): Promise<boolean> {
  const { items, outboxed } = planWrites(table, loaded, next, lease, at);
  if (items.length === 0) return true;
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new TransitionTooLarge(
      `A transition of ${items.length} writes exceeds one transaction (${MAX_TRANSACTION_ITEMS})`,
    );
  }
  try {
    await table.doc.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (e) {
    if (e instanceof TransactionCanceledException) return false;
    throw e;
  }
  await publishOutbox(table, outboxed);
  return true;
}
