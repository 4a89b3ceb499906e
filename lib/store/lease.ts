// The fenced leader lease. Whoever holds it runs scheduling and cleanup passes; its epoch
// is a fencing token that only grows. Expiry only decides when another may take over:
// safety comes from every leader write checking that the epoch is still its own.

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PK } from './layout.js';
import { conditional, type Table } from './table.js';

export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly epoch: number;
  readonly expiresAtMs: number;
}

const key = (name: string) => ({ pk: PK.lease, sk: name });

/** Takes the lease if nobody holds it or the holder let it expire; a new epoch each time. */
export async function acquireLease(
  table: Table,
  name: string,
  holder: string,
  now: number,
  durationMs: number,
): Promise<Lease | undefined> {
  const result = await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: key(name),
        UpdateExpression: 'SET holder = :holder, leaseExpiresAtMs = :expires ADD epoch :one',
        ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAtMs < :now',
        ExpressionAttributeValues: {
          ':holder': holder,
          ':expires': now + durationMs,
          ':now': now,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  if (!result) return undefined;
  return { name, holder, epoch: Number(result.Attributes?.epoch), expiresAtMs: now + durationMs };
}

/** Extends the lease while the epoch is still ours. */
export async function renewLease(
  table: Table,
  lease: Lease,
  now: number,
  durationMs: number,
): Promise<Lease | undefined> {
  const renewed = await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: key(lease.name),
        UpdateExpression: 'SET leaseExpiresAtMs = :expires',
        ConditionExpression: 'holder = :holder AND epoch = :epoch',
        ExpressionAttributeValues: {
          ':expires': now + durationMs,
          ':holder': lease.holder,
          ':epoch': lease.epoch,
        },
      }),
    ),
  );
  return renewed ? { ...lease, expiresAtMs: now + durationMs } : undefined;
}

/** Lets the next passer take over at once; the epoch stays, so it still only grows. */
export async function releaseLease(table: Table, lease: Lease): Promise<boolean> {
  const released = await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: key(lease.name),
        UpdateExpression: 'SET leaseExpiresAtMs = :zero',
        ConditionExpression: 'holder = :holder AND epoch = :epoch',
        ExpressionAttributeValues: { ':zero': 0, ':holder': lease.holder, ':epoch': lease.epoch },
      }),
    ),
  );
  return released !== undefined;
}

/** The transaction item that fences a leader's write: it fails once another took over. */
export function fence(table: Table, lease: Lease) {
  return {
    ConditionCheck: {
      TableName: table.name,
      Key: key(lease.name),
      ConditionExpression: 'epoch = :epoch',
      ExpressionAttributeValues: { ':epoch': lease.epoch },
    },
  };
}
