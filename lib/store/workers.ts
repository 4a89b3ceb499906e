// Worker reads: one request answers what a worker should be running.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type StoredWorker, workerFromItem, workerKey } from './layout.js';
import type { Table } from './table.js';

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
