// The elastic pool's bookkeeping, on one item: the workers asked for and not registered yet
// (so that two passes never start the same capacity twice: a launch is recorded with a
// conditional write before any task starts), and since when each idle worker has been
// idle (for scale-in).
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PK } from './layout.js';
import { conditional, type Table } from './table.js';

const KEY = { pk: PK.pool, sk: 'workers' };

export interface Launch {
  readonly count: number;
  readonly registered: number;
  readonly atMs: number;
}

export interface PoolRecord {
  readonly version: number;
  readonly launches: Readonly<Record<string, Launch>>;
  /** Idle workers: since when, and at which generation of their desired state. */
  readonly idle: Readonly<Record<string, { sinceMs: number; generation: number }>>;
}

export async function readPool(table: Table): Promise<PoolRecord> {
  const { Item } = await table.doc.send(
    new GetCommand({ TableName: table.name, Key: KEY, ConsistentRead: true }),
  );
  return {
    version: Number(Item?.version ?? 0),
    launches: (Item?.launches ?? {}) as Record<string, Launch>,
    idle: (Item?.idle ?? {}) as PoolRecord['idle'],
  };
}

/** Workers being started: launched within the grace period and not registered yet. */
export function pendingWorkers(pool: PoolRecord, now: number, graceMs: number): number {
  return Object.values(pool.launches)
    .filter((l) => l.atMs > now - graceMs)
    .reduce((n, l) => n + Math.max(0, l.count - l.registered), 0);
}

/**
 * Writes the pool as `next` if nobody wrote it since `read`; false when somebody did (the
 * caller reads again and decides again). Launches past the grace period are dropped.
 */
export async function writePool(
  table: Table,
  read: PoolRecord,
  next: Omit<PoolRecord, 'version'>,
  now: number,
  graceMs: number,
): Promise<boolean> {
  const launches = Object.fromEntries(
    Object.entries(next.launches).filter(([, l]) => l.atMs > now - graceMs),
  );
  const written = await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: KEY,
        UpdateExpression: 'SET launches = :launches, idle = :idle, version = :next',
        ConditionExpression: 'attribute_not_exists(pk) OR version = :version',
        ExpressionAttributeValues: {
          ':launches': launches,
          ':idle': next.idle,
          ':next': read.version + 1,
          ':version': read.version,
        },
      }),
    ),
  );
  return written !== undefined;
}

/** A worker started by a launch registered: it is no longer pending. */
export async function acknowledgeLaunch(table: Table, token: string): Promise<void> {
  // A launch that expired, or a worker not started by the pool: nothing to acknowledge.
  await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: KEY,
        UpdateExpression: 'ADD launches.#token.registered :one, version :one',
        ConditionExpression: 'attribute_exists(launches.#token)',
        ExpressionAttributeNames: { '#token': token },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    ),
  );
}
