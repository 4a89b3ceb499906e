// The watch: Spark's master checks its timeouts from a timer thread; a serverless master has
// no thread. A delayed SQS message is that timer: each tick runs the timeout checks and sends
// the next one while anything is there to watch (a worker not DEAD, an active application).
// An empty cluster has no tick, so no cost; a registration or the minute's cleanup starts
// the chain again. One chain at a time: the table holds the due time of the tick on its way,
// and only the message carrying that time may send the next.

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PK } from '../store/layout.js';
import { conditional, type Table } from '../store/table.js';

export interface Watch {
  readonly table: Table;
  readonly sqs: SQSClient;
  /** The standard queue the cleanup function consumes (SQS FIFO has no per-message delay). */
  readonly queueUrl: string;
  readonly periodMs: number;
}

/** The body of a tick message. */
export interface Tick {
  readonly watch: number;
}

const KEY = { pk: PK.lease, sk: 'watch' };

/**
 * The period: a few checks per timeout, whole seconds (SQS delays are), between 1 and 5 s.
 * Detection takes at most the timeout plus one period plus one check.
 */
export function watchPeriodMs(workerTimeoutMs: number, appTimeoutMs: number): number {
  const quarter = Math.min(workerTimeoutMs, appTimeoutMs) / 4;
  return Math.max(1, Math.min(5, Math.floor(quarter / 1000))) * 1000;
}

async function send(w: Watch, due: number): Promise<void> {
  const tick: Tick = { watch: due };
  await w.sqs.send(
    new SendMessageCommand({
      QueueUrl: w.queueUrl,
      MessageBody: JSON.stringify(tick),
      DelaySeconds: Math.round(w.periodMs / 1000),
    }),
  );
}

/**
 * Starts the chain unless a tick is on its way. A chain whose tick is a period overdue is
 * taken as broken (a send that failed after its write) and started again; a late message
 * of the old chain then carries a stale time and is dropped.
 */
export async function startWatch(w: Watch, now: number): Promise<boolean> {
  const due = now + w.periodMs;
  const started = await conditional(() =>
    w.table.doc.send(
      new UpdateCommand({
        TableName: w.table.name,
        Key: KEY,
        UpdateExpression: 'SET dueMs = :due',
        ConditionExpression: 'attribute_not_exists(dueMs) OR dueMs < :stale',
        ExpressionAttributeValues: { ':due': due, ':stale': now - w.periodMs },
      }),
    ),
  );
  if (started) await send(w, due);
  return started !== undefined;
}

/**
 * After a tick's checks: the next tick when there is more to watch, else the chain ends.
 * False when the tick was not the chain's current one (a duplicate or a stale delivery).
 */
export async function nextTick(
  w: Watch,
  tick: Tick,
  now: number,
  watching: boolean,
): Promise<boolean> {
  const due = now + w.periodMs;
  const moved = await conditional(() =>
    w.table.doc.send(
      new UpdateCommand({
        TableName: w.table.name,
        Key: KEY,
        UpdateExpression: watching ? 'SET dueMs = :due' : 'REMOVE dueMs',
        ConditionExpression: 'dueMs = :carried',
        ExpressionAttributeValues: { ':carried': tick.watch, ...(watching ? { ':due': due } : {}) },
      }),
    ),
  );
  if (moved && watching) await send(w, due);
  return moved !== undefined;
}

export const isTick = (body: unknown): body is Tick =>
  typeof body === 'object' &&
  body !== null &&
  Number.isSafeInteger((body as { watch?: unknown }).watch);
