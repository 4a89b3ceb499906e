// Drivers as the REST submission server reads and writes them.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MasterConfig } from '../core/config.js';
import { stateChanges } from '../core/events.js';
import { driverId } from '../core/ids.js';
import { submitDriver } from '../core/lifecycle.js';
import type { Cluster, Driver, DriverDescription } from '../core/model.js';
import type { DriverSession } from '../core/session.js';
import { reserveNumbers } from './counters.js';
import { driverKey, EXPIRES_AT, PK, recordFromItem, recordItem } from './layout.js';
import { OUTBOX, publishOutbox } from './outbox.js';
import { getItems } from './scope.js';
import { conditional, type Table } from './table.js';

const EMPTY: Cluster = { workers: {}, applications: {}, executors: {}, drivers: {} };

/** How long an Idempotency-Key answers with the driver it created. */
export const IDEMPOTENCY_TTL_SEC = 24 * 3600;

export interface Idempotency {
  readonly key: string;
  /** A digest of the request: the same key with another request is refused. */
  readonly fingerprint: string;
}

export class IdempotencyKeyReused extends Error {
  override readonly name = 'IdempotencyKeyReused';
}

/**
 * Stores a new SUBMITTED driver: one counter increment and one write (a transaction with
 * the key's claim when an Idempotency-Key comes with it, after one read of the claim). A
 * retried create with the same key returns the driver the first one made.
 */
export async function createDriver(
  table: Table,
  config: Pick<MasterConfig, 'driverIdPattern'>,
  description: DriverDescription,
  now: number,
  idempotency?: Idempotency,
  session?: (driverId: string) => DriverSession,
): Promise<{ driverId: string; replayed: boolean }> {
  const nowSec = Math.floor(now / 1000);
  // A retry is answered before anything is written (a refused one changes nothing).
  const earlier = idempotency && (await claimed(table, idempotency, nowSec));
  if (earlier) return { driverId: earlier, replayed: true };
  const seq = await reserveNumbers(table, 'driver');
  const id = driverId(config.driverIdPattern, now, seq);
  const submitted = submitDriver(EMPTY, { id, seq }, description, now).cluster.drivers[
    id
  ] as Driver;
  const driver: Driver = session ? { ...submitted, session: session(id) } : submitted;
  // Its first state, SUBMITTED, is an event too: written with it, published after.
  const outbox = table.events
    ? stateChanges(EMPTY, { ...EMPTY, drivers: { [id]: driver } }, now)
    : [];
  const put = {
    TableName: table.name,
    Item: {
      ...recordItem(driverKey(driver), driver, 0),
      ...(outbox.length > 0 ? { [OUTBOX]: outbox } : {}),
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  const published = () => publishOutbox(table, [{ key: driverKey(driver), outbox }]);
  // Without a key, one conditional put: a transaction costs twice the writes.
  if (!idempotency) {
    await table.doc.send(new PutCommand(put));
    await published();
    return { driverId: id, replayed: false };
  }
  const claim = {
    Put: {
      TableName: table.name,
      Item: {
        pk: PK.idempotency,
        sk: idempotency.key,
        driverId: id,
        fingerprint: idempotency.fingerprint,
        [EXPIRES_AT]: nowSec + IDEMPOTENCY_TTL_SEC,
      },
      // TTL deletes late: an expired claim is free again.
      ConditionExpression: 'attribute_not_exists(pk) OR #expires < :now',
      ExpressionAttributeNames: { '#expires': EXPIRES_AT },
      ExpressionAttributeValues: { ':now': nowSec },
    },
  };
  try {
    await table.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: put }, claim] }));
    await published();
    return { driverId: id, replayed: false };
  } catch (e) {
    if (!(e instanceof TransactionCanceledException)) throw e;
  }
  // The same key claimed by a concurrent create in between: that one's driver is the answer.
  const winner = await claimed(table, idempotency, nowSec);
  if (!winner) throw new Error('an Idempotency-Key claim vanished while it was being read');
  return { driverId: winner, replayed: true };
}

/**
 * The driver id a live claim of this key made; refuses the key with another request. The
 * replay answers as the first create did, even once retention or `clear` dropped the driver.
 */
async function claimed(
  table: Table,
  idempotency: Idempotency,
  nowSec: number,
): Promise<string | undefined> {
  const { Item } = await table.doc.send(
    new GetCommand({
      TableName: table.name,
      Key: { pk: PK.idempotency, sk: idempotency.key },
      ConsistentRead: true,
    }),
  );
  if (!Item || Number(Item[EXPIRES_AT]) < nowSec) return undefined;
  if (Item.fingerprint !== idempotency.fingerprint) {
    throw new IdempotencyKeyReused(
      `Idempotency-Key ${idempotency.key} was already used for a different request`,
    );
  }
  return String(Item.driverId);
}

/** An active or retained completed driver; one read. */
export async function readDriver(table: Table, id: string): Promise<Driver | undefined> {
  const items = await getItems(table, [
    { pk: PK.driver, sk: id },
    { pk: PK.completedDriver, sk: id },
  ]);
  const item = items[0];
  return item ? recordFromItem<Driver>(item).record : undefined;
}

/**
 * Writes an active driver's session part. The version moves on, so a transition that read
 * the driver before this write retries instead of writing the older session back.
 */
export async function updateSession(
  table: Table,
  driverId: string,
  session: DriverSession,
): Promise<boolean> {
  const written = await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: PK.driver, sk: driverId },
        UpdateExpression: 'SET #session = :session ADD version :one',
        ConditionExpression: 'attribute_exists(#session)',
        ExpressionAttributeNames: { '#session': 'session' },
        ExpressionAttributeValues: { ':session': session, ':one': 1 },
      }),
    ),
  );
  return written !== undefined;
}
