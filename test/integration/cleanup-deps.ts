// The cleanup function's dependencies on a fresh table and nudge queue, with a clock the
// test moves.
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { CleanupDeps } from '../../functions/cleanup.js';
import { nudger } from '../../lib/cloud/nudge.js';
import { masterConfig } from '../../lib/core/config.js';
import { ensureTable, openTable } from '../../lib/store/table.js';
import { localClientConfig, sqsClient, uniqueName } from './aws.js';

export type TestCleanupDeps = CleanupDeps & { clock: { now: number }; nudgeQueueUrl: string };

export async function cleanupDeps(
  name: string,
  start: number,
  props: Record<string, string>,
): Promise<TestCleanupDeps> {
  const table = openTable(uniqueName(name), localClientConfig());
  await ensureTable(table);
  const sqs = sqsClient();
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${uniqueName('nudges')}.fifo`,
      Attributes: { FifoQueue: 'true' },
    }),
  );
  const clock = { now: start };
  return {
    table,
    sqs,
    nudge: nudger(sqs, QueueUrl as string),
    nudgeQueueUrl: QueueUrl as string,
    config: masterConfig(props),
    leaseMs: 30_000,
    now: () => clock.now,
    clock,
  };
}
