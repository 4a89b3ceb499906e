// The push channel: each worker has its own SQS queue for commands, which only the control
// plane touches: a worker long-polls it through its own authorised route
// (`POST /v1/workers/{id}/commands`), so no worker task holds AWS credentials to read
// another's. Pushing is only an accelerator — a worker that misses a message converges on
// its next heartbeat from the desired state on its item — so a failed push is reported,
// never fatal.
import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
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

/**
 * A queue name SQS accepts (letters, digits, `-`, `_`; at most 80 characters), a different
 * one for every worker id: the readable part loses characters, so a digest of the whole id
 * always follows it (two ids differing only in `.` and `_` must not share a queue).
 */
export function workerQueueName(workerId: string): string {
  const digest = createHash('sha256').update(workerId).digest('hex').slice(0, 24);
  const prefix = workerQueuePrefix();
  const readable = workerId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80 - prefix.length - 25);
  return `${prefix}${readable}-${digest}`;
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

export class UnknownWorkerQueue extends Error {
  override readonly name = 'UnknownWorkerQueue';
}

/** A command as the worker's route hands it out: acknowledge `receipt` once acted on. */
export interface ReceivedCommand {
  readonly receipt: string;
  readonly command: WorkerCommand;
}

/**
 * One long poll of a worker's queue on its behalf, after deleting what it acknowledged
 * (receipts of another queue fail and are ignored). Unreadable messages are dropped.
 */
export async function receiveCommands(
  sqs: SQSClient,
  workerId: string,
  acknowledge: readonly string[],
  waitSec: number,
): Promise<ReceivedCommand[]> {
  try {
    const QueueUrl = await queueUrl(sqs, workerId);
    const drop = async (receipts: readonly string[]) => {
      for (let i = 0; i < receipts.length; i += SQS_BATCH) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: receipts
              .slice(i, i + SQS_BATCH)
              .map((ReceiptHandle, k) => ({ Id: String(k), ReceiptHandle })),
          }),
        );
      }
    };
    await drop(acknowledge);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: waitSec, MaxNumberOfMessages: 10 }),
    );
    const received: ReceivedCommand[] = [];
    const unreadable: string[] = [];
    for (const m of Messages) {
      if (!m.ReceiptHandle) continue;
      try {
        received.push({ receipt: m.ReceiptHandle, command: JSON.parse(m.Body ?? '') });
      } catch {
        unreadable.push(m.ReceiptHandle);
      }
    }
    await drop(unreadable);
    return received;
  } catch (e) {
    if (!(e instanceof QueueDoesNotExist)) throw e;
    queueUrls.delete(workerId);
    throw new UnknownWorkerQueue(workerId);
  }
}
