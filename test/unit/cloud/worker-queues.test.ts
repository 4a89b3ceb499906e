import { describe, expect, it } from 'vitest';
import { workerQueueName } from '../../../lib/cloud/worker-queues.js';

describe('worker queue names', () => {
  it('keep what SQS allows and stay distinct and short', () => {
    expect(workerQueueName('worker-20231109183042-10.0.0.5-39729')).toMatch(
      /^sparkplane-worker-worker-20231109183042-10_0_0_5-39729-[0-9a-f]{24}$/,
    );
    const long = `worker-20231109183042-${'x'.repeat(100)}.example.com-7078`;
    const other = `worker-20231109183042-${'x'.repeat(100)}.example.org-7078`;
    for (const id of [long, other]) {
      expect(workerQueueName(id)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }
    expect(workerQueueName(long)).not.toBe(workerQueueName(other));
  });

  it('never collide for ids that read the same once sanitised', () => {
    expect(workerQueueName('worker-1-10.0.0.5-7078')).not.toBe(
      workerQueueName('worker-1-10_0_0_5-7078'),
    );
  });
});
