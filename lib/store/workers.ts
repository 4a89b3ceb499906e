// Worker reads and the heartbeat: one request each.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type StoredWorker, workerFromItem, workerKey } from './layout.js';
import { conditional, type Table } from './table.js';

/** The worker, its desired state and the generation that changes with it. */
export async function readWorker(
  table: Table,
  workerId: string,
): Promise<StoredWorker | undefined> {
  const { Item } = await table.doc.send(
    new GetCommand({ TableName: table.name, Key: workerKey(workerId), ConsistentRead: true }),
  );
  return Item ? workerFromItem(Item) : undefined;
}

/**
 * Spark's Heartbeat: refreshes a listed, not DEAD worker's liveness and answers, in the
 * same single request, what it should be running. Undefined for an unknown or DEAD worker,
 * which must register again (ReconnectWorker). Only `lastHeartbeatMs` is written, so a
 * heartbeat never collides with a pass's capacity conditions.
 */
export async function recordHeartbeat(
  table: Table,
  workerId: string,
  now: number,
): Promise<StoredWorker | undefined> {
  const updated = await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: workerKey(workerId),
        UpdateExpression: 'SET lastHeartbeatMs = :now',
        ConditionExpression: 'attribute_exists(pk) AND #state <> :dead',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':now': now, ':dead': 'DEAD' },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  return updated?.Attributes ? workerFromItem(updated.Attributes) : undefined;
}
