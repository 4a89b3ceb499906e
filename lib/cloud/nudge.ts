// "Something changed": every handler that changes state tells the scheduler through its
// FIFO queue. One message group keeps passes serial; many nudges in one batch make one pass.
import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const SCHEDULER_GROUP = 'scheduler';

export type Nudge = (reason: string) => Promise<void>;

export function nudger(sqs: SQSClient, queueUrl: string): Nudge {
  return async (reason) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ reason }),
        MessageGroupId: SCHEDULER_GROUP,
        // Every nudge counts: a change after a pass started must cause another pass.
        MessageDeduplicationId: randomUUID(),
      }),
    );
  };
}
