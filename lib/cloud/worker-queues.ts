// The push channel: each worker has its own SQS queue for commands. Pushing is only an
// accelerator — a worker that misses a message converges on its next heartbeat from the
// desired state on its item — so a failed push is reported, never fatal.
import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { WorkerCommand } from '../protocol/commands.js';

const SQS_BATCH = 10;

/**
 * Every worker queue's name starts with this (WORKER_QUEUE_PREFIX): the deployed stack
 * sets its own, so its functions' permissions cover its queues and no other stack's.
 */
export const workerQueuePrefix = (): string =>
  process.env.WORKER_QUEUE_PREFIX ?? 'sparkplane-worker-';

/** A queue name SQS accepts (letters, digits, `-`, `_`; at most 80 characters). */
export function workerQueueName(workerId: string): string {
  const name = `${workerQueuePrefix()}${workerId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  if (name.length <= 80) return name;
  const digest = createHash('sha256').update(workerId).digest('hex').slice(0, 16);
  return `${name.slice(0, 63)}-${digest}`;
}

/**
 * Creates the worker's queue if it has none (CreateQueue with the same attributes is
 * idempotent) and returns its URL. Commands older than the retention are stale anyway: the
 * heartbeat answers the current desired state.
 */
export async function ensureWorkerQueue(sqs: SQSClient, workerId: string): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: workerQueueName(workerId),
      Attributes: { MessageRetentionPeriod: '900', ReceiveMessageWaitTimeSeconds: '20' },
    }),
  );
  if (!QueueUrl) throw new Error(`SQS returned no URL for the queue of ${workerId}`);
  return QueueUrl;
}

/** Deletes a forgotten worker's queue; a queue already gone is fine. */
export async function deleteWorkerQueue(sqs: SQSClient, workerId: string): Promise<void> {
  try {
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: workerQueueName(workerId) }),
    );
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    queueUrls.delete(workerId);
  } catch (e) {
    if (!(e instanceof QueueDoesNotExist)) throw e;
  }
}

export interface PushOutcome {
  readonly sent: number;
  /** Workers whose queue could not be reached: they converge by heartbeat instead. */
  readonly unreached: readonly string[];
}

/** Queue URLs by worker: a Lambda container pushes to the same workers pass after pass. */
const queueUrls = new Map<string, string>();

async function queueUrl(sqs: SQSClient, workerId: string): Promise<string | undefined> {
  const known = queueUrls.get(workerId);
  if (known) return known;
  const { QueueUrl } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: workerQueueName(workerId) }),
  );
  if (QueueUrl) queueUrls.set(workerId, QueueUrl);
  return QueueUrl;
}

export async function pushCommands(
  sqs: SQSClient,
  byWorker: ReadonlyMap<string, readonly WorkerCommand[]>,
): Promise<PushOutcome> {
  let sent = 0;
  const unreached: string[] = [];
  await Promise.all(
    [...byWorker].map(async ([workerId, commands]) => {
      try {
        const QueueUrl = await queueUrl(sqs, workerId);
        for (let i = 0; i < commands.length; i += SQS_BATCH) {
          const batch = commands.slice(i, i + SQS_BATCH);
          const { Failed = [] } = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl,
              Entries: batch.map((c, k) => ({ Id: String(k), MessageBody: JSON.stringify(c) })),
            }),
          );
          sent += batch.length - Failed.length;
          if (Failed.length > 0) unreached.push(workerId);
        }
      } catch {
        // The queue may be gone with its worker: look it up again next time.
        queueUrls.delete(workerId);
        unreached.push(workerId);
      }
    }),
  );
  return { sent, unreached };
}
