// The scheduler function, fed by nudges through the SQS emulator like an event source
// mapping would, against DynamoDB Local.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { schedulerHandler } from '../../functions/scheduler.js';
import { AUTH_OFF } from '../../lib/api/auth.js';
import { prometheusSink } from '../../lib/cloud/metrics.js';
import { nudger } from '../../lib/cloud/nudge.js';
import { workerQueueName } from '../../lib/cloud/worker-queues.js';
import { masterConfig } from '../../lib/core/config.js';
import { DEFAULT_DRIVER_TEMPLATES } from '../../lib/core/driver-command.js';
import { pollOnce } from '../../lib/local/sqs-poller.js';
import { loadActiveCluster, putRecords } from '../../lib/store/cluster.js';
import { PK } from '../../lib/store/layout.js';
import { acquireLease } from '../../lib/store/lease.js';
import { SCHEDULER_LEASE } from '../../lib/store/pass.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { aDriver, aWorker } from '../unit/core/fixtures.js';
import { localClientConfig, sqsClient, uniqueName } from './aws.js';
import { violations } from './invariants.js';

const sqs = sqsClient();
let table: Table;
let queueUrl: string;

beforeEach(async () => {
  table = openTable(uniqueName('sparkplane'), localClientConfig());
  await ensureTable(table);
  await putRecords(table, {
    workers: [aWorker({ id: 'w1' }), aWorker({ id: 'w2' })],
    drivers: [0, 1, 2].map((i) => aDriver({ id: `driver-${i}`, seq: i })),
  });
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${uniqueName('nudges')}.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' },
    }),
  );
  queueUrl = created.QueueUrl as string;
});

const handler = () =>
  schedulerHandler(() => ({
    table,
    sqs,
    config: masterConfig(),
    leaseMs: 30_000,
    auth: AUTH_OFF,
    driverTemplates: DEFAULT_DRIVER_TEMPLATES,
    metrics: prometheusSink(),
  }));

async function queued(): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

describe('the scheduler function', () => {
  it('a nudge leads to a pass that places the waiting drivers, and is then deleted', async () => {
    const nudge = nudger(sqs, queueUrl);
    await nudge('driver submitted');
    expect(await pollOnce(sqs, queueUrl, handler(), 2)).toBe(1);
    const { cluster } = await loadActiveCluster(table);
    expect(Object.values(cluster.drivers).map((d) => d.state)).toEqual([
      'RUNNING',
      'RUNNING',
      'RUNNING',
    ]);
    expect(violations(cluster)).toEqual([]);
    expect(await queued()).toBe(0);
  });

  it('after the commit, each worker finds its launch commands on its own queue', async () => {
    // Only w1 has a queue: w2 is not reached and will converge by heartbeat.
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: workerQueueName('w1') }),
    );
    await nudger(sqs, queueUrl)('driver submitted');
    expect(await pollOnce(sqs, queueUrl, handler(), 2)).toBe(1);
    const { cluster } = await loadActiveCluster(table);
    const onW1 = Object.values(cluster.drivers)
      .filter((d) => d.workerId === 'w1')
      .map((d) => d.id)
      .sort();
    expect(onW1.length).toBeGreaterThan(0);
    const received: string[] = [];
    for (let i = 0; i < 5 && received.length < onW1.length; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of Messages) {
        const command = JSON.parse(m.Body ?? '{}');
        expect(command).toMatchObject({ type: 'LaunchDriver', cores: 1, memoryMb: 1024 });
        received.push(command.driverId);
      }
    }
    expect(received.sort()).toEqual(onW1);
  });

  it('many nudges in one batch make one pass', async () => {
    const event: SQSEvent = {
      Records: ['a', 'b', 'c'].map((id) => ({
        messageId: id,
        receiptHandle: id,
        body: '{"reason":"test"}',
        attributes: {} as SQSEvent['Records'][number]['attributes'],
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn',
        awsRegion: 'us-east-1',
      })),
    };
    // Each pass takes the lease once, and each taking adds one to its epoch.
    const epoch = async () =>
      (
        await table.doc.send(
          new GetCommand({ TableName: table.name, Key: { pk: PK.lease, sk: SCHEDULER_LEASE } }),
        )
      ).Item?.epoch ?? 0;
    const before = await epoch();
    expect(await handler()(event, { awsRequestId: 'r1' })).toEqual({ batchItemFailures: [] });
    expect((await epoch()) - before).toBe(1);
  });

  it('while another pass holds the lease, the nudges are reported back, not thrown', async () => {
    await acquireLease(table, SCHEDULER_LEASE, 'someone else', Date.now(), 30_000);
    const nudge = nudger(sqs, queueUrl);
    await nudge('app registered');
    expect(await pollOnce(sqs, queueUrl, handler(), 2)).toBe(1);
    expect(await queued()).toBe(1);
    const { cluster } = await loadActiveCluster(table);
    expect(Object.values(cluster.drivers).every((d) => d.state === 'SUBMITTED')).toBe(true);
  });

  it('a failing pass reports every nudge back instead of throwing', async () => {
    const broken = schedulerHandler(() => ({
      auth: AUTH_OFF,
      driverTemplates: DEFAULT_DRIVER_TEMPLATES,
      table: openTable(uniqueName('missing'), localClientConfig()),
      sqs,
      config: masterConfig(),
      leaseMs: 30_000,
      metrics: prometheusSink(),
    }));
    const nudge = nudger(sqs, queueUrl);
    await nudge('worker registered');
    expect(await pollOnce(sqs, queueUrl, broken, 2)).toBe(1);
    expect(await queued()).toBe(1);
  });
});
