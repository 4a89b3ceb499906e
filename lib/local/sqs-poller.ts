// What Lambda's SQS event source mapping does, for local mode and tests: receive a batch,
// hand it to the handler as an SQSEvent, delete every message it did not report as failed.
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type SqsHandler = (
  event: SQSEvent,
  context: { awsRequestId: string },
) => Promise<SQSBatchResponse>;

function toEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: (m.Attributes ?? {}) as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
}

async function remove(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  if (messages.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    }),
  );
}

/** Invokes the handler and deletes what it did not report as failed; true if none failed. */
async function invoke(sqs: SQSClient, queueUrl: string, handler: SqsHandler, messages: Message[]) {
  const response = await handler(toEvent(messages, `local:${queueUrl}`), {
    awsRequestId: randomUUID(),
  });
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  await remove(
    sqs,
    queueUrl,
    messages.filter((m) => !failed.has(m.MessageId ?? '')),
  );
  return failed.size === 0;
}

const receive = async (sqs: SQSClient, queueUrl: string, waitSeconds: number) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];

/** One receive-invoke-delete round; returns how many messages the handler saw. */
export async function pollOnce(
  sqs: SQSClient,
  queueUrl: string,
  handler: SqsHandler,
  waitSeconds = 0,
): Promise<number> {
  const messages = await receive(sqs, queueUrl, waitSeconds);
  if (messages.length > 0) await invoke(sqs, queueUrl, handler, messages);
  return messages.length;
}

/**
 * Feeds the scheduler's nudges to its handler until `running()` turns false. Lambda's event
 * source mapping hands a FIFO group's waiting messages over ten at a time, so a burst of
 * nudges makes one pass; fauxqs hands out one per receive. A nudge is sent after its change
 * is stored, so one sent before a successful pass began is served by that pass: it is
 * deleted without another one, which gives the same coalescing.
 */
export async function pollNudges(
  sqs: SQSClient,
  queueUrl: string,
  handler: SqsHandler,
  running: () => boolean,
  onError: (error: Error) => void,
): Promise<void> {
  let servedBefore = 0;
  await keepPolling(running, onError, async () => {
    const messages = await receive(sqs, queueUrl, 1);
    const sent = (m: Message) => Number(m.Attributes?.SentTimestamp ?? Number.POSITIVE_INFINITY);
    await remove(
      sqs,
      queueUrl,
      messages.filter((m) => sent(m) < servedBefore),
    );
    const fresh = messages.filter((m) => sent(m) >= servedBefore);
    if (fresh.length === 0) return;
    const invokedAt = Date.now();
    if (await invoke(sqs, queueUrl, handler, fresh)) servedBefore = invokedAt;
  });
}

/** Feeds a standard queue's messages to its handler until `running()` turns false. */
export async function pollQueue(
  sqs: SQSClient,
  queueUrl: string,
  handler: SqsHandler,
  running: () => boolean,
  onError: (error: Error) => void,
): Promise<void> {
  await keepPolling(running, onError, () => pollOnce(sqs, queueUrl, handler, 1));
}

/** Rounds until `running()` turns false; a failed round is reported and retried after 0.5 s. */
async function keepPolling(
  running: () => boolean,
  onError: (error: Error) => void,
  round: () => Promise<unknown>,
): Promise<void> {
  while (running()) {
    try {
      await round();
    } catch (error) {
      onError(error as Error);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
