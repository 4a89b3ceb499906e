// Id counters: an atomic ADD hands out a block of numbers no other caller gets.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { queryPartition } from './cluster.js';
import { PK } from './layout.js';
import type { Table } from './table.js';

export type CounterName = 'app' | 'driver';

/** Reserves `count` numbers; returns the first. The first number ever handed out is 0. */
export async function reserveNumbers(table: Table, name: CounterName, count = 1): Promise<number> {
  const result = await table.doc.send(
    new UpdateCommand({
      TableName: table.name,
      Key: { pk: PK.counter, sk: name },
      UpdateExpression: 'ADD #value :count',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':count': count },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(result.Attributes?.value) - count;
}

/** How many numbers each counter has handed out: one strongly consistent Query. */
export async function readCounters(table: Table): Promise<Record<CounterName, number>> {
  const counts: Record<CounterName, number> = { app: 0, driver: 0 };
  for (const item of await queryPartition(table, PK.counter)) {
    if (item.sk === 'app' || item.sk === 'driver') counts[item.sk] = Number(item.value);
  }
  return counts;
}
