// Proves the local stack is the real thing: conditions, transactions and redelivery
// behave as they do on AWS.
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, sqsClient, uniqueName } from './aws.js';

describe('DynamoDB', () => {
  const db = dynamoClient();
  const table = uniqueName('stack');

  beforeAll(async () => {
    await db.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  });

  it('fails a conditional write that must fail with ConditionalCheckFailedException', async () => {
    const put = () =>
      db.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'driver-1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    const error = await put().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('cancels a transaction atomically and says which condition failed', async () => {
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'worker-1' }, coresFree: { N: '1' } },
      }),
    );
    const error = await db
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: { S: 'executor-1' } } } },
            {
              Update: {
                TableName: table,
                Key: { pk: { S: 'worker-1' } },
                UpdateExpression: 'SET coresFree = coresFree - :n',
                ConditionExpression: 'coresFree >= :n',
                ExpressionAttributeValues: { ':n': { N: '2' } },
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons).toEqual(['None', 'ConditionalCheckFailed']);
    const executor = await db.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'executor-1' } },
        ConsistentRead: true,
      }),
    );
    expect(executor.Item).toBeUndefined();
    const worker = await db.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'worker-1' } },
        ConsistentRead: true,
      }),
    );
    expect(worker.Item?.coresFree).toEqual({ N: '1' });
  });
});

describe('SQS', () => {
  const sqs = sqsClient();

  async function redelivers(queueName: string, attributes: Record<string, string>, fifo: boolean) {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'nudge',
        ...(fifo ? { MessageGroupId: 'scheduler', MessageDeduplicationId: 'm1' } : {}),
      }),
    );
    const receive = () =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          VisibilityTimeout: 1,
          WaitTimeSeconds: 5,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
    const first = await receive();
    expect(first.Messages?.[0]?.Body).toBe('nudge');
    // Not deleted: hidden for the visibility timeout, then delivered again.
    const second = await receive();
    const message = second.Messages?.[0];
    expect(message?.Body).toBe('nudge');
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('2');
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
  }

  it('redelivers a message whose visibility timeout ran out (standard queue)', async () => {
    await redelivers(uniqueName('nudges'), {}, false);
  });

  it('redelivers a message whose visibility timeout ran out (FIFO queue)', async () => {
    await redelivers(`${uniqueName('nudges')}.fifo`, { FifoQueue: 'true' }, true);
  });
});
