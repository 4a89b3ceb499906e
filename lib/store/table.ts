// The table handle every repository shares, and the table's definition for local use
// (the CDK stack in infra/ defines the same keys for AWS).

import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LISTING, LISTING_INDEX } from './layout.js';
import type { EventSink } from './outbox.js';

export interface Table {
  readonly name: string;
  readonly doc: DynamoDBDocumentClient;
  /**
   * Where state-change events are published (lib/store/outbox.ts). Without a sink none are
   * kept: nothing would ever take them out of the outbox.
   */
  readonly events?: EventSink;
}

export function openTable(name: string, config: DynamoDBClientConfig = {}): Table {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return { name, doc };
}

/** A conditional write: its result, or undefined when its condition did not hold. */
export async function conditional<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return undefined;
    throw e;
  }
}

/** Creates the table where none exists (local mode, tests); a no-op when it does. */
export async function ensureTable(table: Table): Promise<void> {
  try {
    await table.doc.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ATTRIBUTES,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [LISTING_GSI],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  let indexAdded = false;
  for (let i = 0; i < 300; i++) {
    const { Table: t } = await table.doc.send(new DescribeTableCommand({ TableName: table.name }));
    const index = t?.GlobalSecondaryIndexes?.find((g) => g.IndexName === LISTING_INDEX);
    // A table made before the index (a local --data-dir): it gets the index now.
    if (t?.TableStatus === 'ACTIVE' && !index && !indexAdded) {
      await table.doc.send(
        new UpdateTableCommand({
          TableName: table.name,
          AttributeDefinitions: ATTRIBUTES,
          GlobalSecondaryIndexUpdates: [{ Create: LISTING_GSI }],
        }),
      );
      indexAdded = true;
    } else if (t?.TableStatus === 'ACTIVE' && index?.IndexStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Table ${table.name} did not become ACTIVE`);
}

const ATTRIBUTES = [
  { AttributeName: 'pk', AttributeType: 'S' as const },
  { AttributeName: 'sk', AttributeType: 'S' as const },
  { AttributeName: LISTING, AttributeType: 'S' as const },
];

/** Drivers and applications by state (layout.ts). */
const LISTING_GSI = {
  IndexName: LISTING_INDEX,
  KeySchema: [
    { AttributeName: LISTING, KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
};
