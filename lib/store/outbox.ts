// The state-change outbox: a transition writes the events of the records it changes onto
// those records (`outbox`, in the same write: no item more), publishes them after the
// commit, then removes them (one write per record). A handler that dies between the commit
// and the publish leaves them there for cleanup to publish, with the same ids.

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EntityKind, StateChange } from '../core/events.js';
import { queryPartition } from './cluster.js';
import { type Key, PK } from './layout.js';
import { conditional, type Table } from './table.js';

/** Where published events go: EventBridge in AWS, a file locally (lib/cloud/events.ts). */
export interface EventSink {
  /** Throws when any event was not accepted: the outbox keeps them all. */
  publish(changes: readonly StateChange[]): Promise<void>;
  /** A publish after a commit failed: the change stands, cleanup publishes it later. */
  failed(error: unknown): void;
}

export const OUTBOX = 'outbox';

/** The events waiting on a stored item. */
export const outboxOf = (item: Record<string, unknown> | undefined): StateChange[] =>
  (item?.[OUTBOX] as StateChange[] | undefined) ?? [];

/** The entity key events are grouped by: one record per entity in a transition. */
export const entityKey = (kind: EntityKind, id: string): string => `${kind} ${id}`;

export function byEntity(changes: readonly StateChange[]): Map<string, StateChange[]> {
  const out = new Map<string, StateChange[]>();
  for (const c of changes) {
    const key = entityKey(c.kind, c.entityId);
    out.set(key, [...(out.get(key) ?? []), c]);
  }
  return out;
}

/** A record written with events, and the whole outbox it holds after that write. */
export interface Outboxed {
  readonly key: Key;
  readonly outbox: readonly StateChange[];
}

/**
 * Publishes what the writes put in the outbox, then removes each record's outbox on
 * condition it is still what was published (a later transition may have added to it:
 * then that one's publisher, or cleanup, takes them all).
 */
export async function publishOutbox(table: Table, written: readonly Outboxed[]): Promise<void> {
  const sink = table.events;
  const changes = written.flatMap((w) => w.outbox);
  if (!sink || changes.length === 0) return;
  try {
    await sink.publish(changes);
    await Promise.all(written.map((w) => clearOutbox(table, w)));
  } catch (error) {
    sink.failed(error);
  }
}

async function clearOutbox(table: Table, w: Outboxed): Promise<void> {
  if (w.outbox.length === 0) return;
  await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: w.key,
        UpdateExpression: 'REMOVE #outbox',
        ConditionExpression: '#outbox = :published',
        ExpressionAttributeNames: { '#outbox': OUTBOX },
        ExpressionAttributeValues: { ':published': w.outbox },
      }),
    ),
  );
}

/** Every partition a record with a state lives in. */
const PARTITIONS = [
  PK.worker,
  PK.driver,
  PK.completedDriver,
  PK.application,
  PK.completedApplication,
];

/**
 * Publishes the outboxes older than `graceMs` (younger ones are still their publisher's),
 * oldest change first. Reads the state partitions once; cleanup runs it every minute.
 */
export async function drainOutbox(table: Table, now: number, graceMs: number): Promise<number> {
  if (!table.events) return 0;
  const pending: Outboxed[] = [];
  for (const pk of PARTITIONS) {
    for (const item of await queryPartition(table, pk)) {
      const outbox = outboxOf(item);
      if (outbox.some((c) => c.at <= now - graceMs)) {
        pending.push({ key: { pk: String(item.pk), sk: String(item.sk) }, outbox });
      }
    }
  }
  if (pending.length === 0) return 0;
  await table.events.publish(pending.flatMap((p) => p.outbox).sort((a, b) => a.at - b.at));
  await Promise.all(pending.map((p) => clearOutbox(table, p)));
  return pending.reduce((n, p) => n + p.outbox.length, 0);
}
