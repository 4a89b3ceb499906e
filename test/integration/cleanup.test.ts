// The cleanup function on DynamoDB Local and fauxqs, with a simulated clock: a silent
// worker is lost after spark.worker.timeout and its work placed again; a long-dead worker
// is forgotten with its queue; retention trims completed drivers; one cleanup at a time.
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { type CleanupDeps, runCleanup } from '../../functions/cleanup.js';
import { nudger } from '../../lib/cloud/nudge.js';
import { ensureWorkerQueue, workerQueueName } from '../../lib/cloud/worker-queues.js';
import { masterConfig } from '../../lib/core/config.js';
import type { Driver } from '../../lib/core/model.js';
import { loadActiveCluster, loadListedCluster, putRecords } from '../../lib/store/cluster.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { ensureTable, openTable } from '../../lib/store/table.js';
import { aDriver, anApp, anExecutor, aWorker } from '../unit/core/fixtures.js';
import { localClientConfig, sqsClient, uniqueName } from './aws.js';
import { violations } from './invariants.js';

const T = 60;
const START = Date.UTC(2026, 10, 22, 12);
let deps: CleanupDeps & { clock: { now: number }; nudgeQueueUrl: string };

beforeEach(async () => {
  const table = openTable(uniqueName('cleanup'), localClientConfig());
  await ensureTable(table);
  const sqs = sqsClient();
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${uniqueName('nudges')}.fifo`,
      Attributes: { FifoQueue: 'true' },
    }),
  );
  const clock = { now: START };
  deps = {
    table,
    sqs,
    nudge: nudger(sqs, QueueUrl as string),
    nudgeQueueUrl: QueueUrl as string,
    config: masterConfig({
      'spark.worker.timeout': String(T),
      'spark.deploy.retainedDrivers': '10',
    }),
    leaseMs: 30_000,
    now: () => clock.now,
    clock,
  };
  const supervised = { ...aDriver({ id: 'x' }).description, supervise: true };
  await putRecords(table, {
    workers: [
      aWorker({
        id: 'w-silent',
        cores: 8,
        coresUsed: 3,
        memoryUsedMb: 3072,
        lastHeartbeatMs: START,
      }),
      aWorker({ id: 'w-alive', cores: 8, lastHeartbeatMs: START }),
    ],
    applications: [anApp({ id: 'app-1', coresGranted: 2, nextExecutorId: 2 })],
    executors: [
      anExecutor({ appId: 'app-1', id: 0, workerId: 'w-silent', cores: 1 }),
      anExecutor({ appId: 'app-1', id: 1, workerId: 'w-silent', cores: 1 }),
    ],
    drivers: [
      aDriver({
        id: 'driver-sup',
        state: 'RUNNING',
        workerId: 'w-silent',
        description: supervised,
      }),
    ],
  });
});

/** Every worker but w-silent keeps heartbeating. */
async function heartbeat(now: number) {
  const { recordHeartbeat } = await import('../../lib/store/workers.js');
  await recordHeartbeat(deps.table, 'w-alive', now);
}

describe('cleanup', () => {
  it('a worker silent for exactly T is kept; past T it is lost and its work placed again', async () => {
    deps.clock.now = START + T * 1000;
    await heartbeat(deps.clock.now);
    expect((await runCleanup(deps, 'c1')).lost).toEqual([]);

    deps.clock.now = START + T * 1000 + 1;
    await heartbeat(deps.clock.now);
    const outcome = await runCleanup(deps, 'c2');
    expect(outcome.lost).toEqual(['w-silent']);
    let { cluster } = await loadActiveCluster(deps.table);
    expect(cluster.workers['w-silent']?.state).toBe('DEAD');
    expect(Object.keys(cluster.executors)).toEqual([]);
    const relaunched = Object.values(cluster.drivers) as Driver[];
    expect(relaunched).toHaveLength(1);
    expect(relaunched[0]?.id).not.toBe('driver-sup');
    expect(relaunched[0]?.state).toBe('SUBMITTED');
    // The scheduler was nudged, and its pass places the work on the worker still alive.
    const { Messages = [] } = await deps.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deps.nudgeQueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages.length).toBeGreaterThan(0);
    await runSchedulingPass(deps.table, deps.config, {
      holder: randomUUID(),
      leaseMs: 10_000,
      maxAttempts: 3,
      now: deps.now,
      random: mulberry32(1),
    });
    ({ cluster } = await loadActiveCluster(deps.table));
    expect(violations(cluster)).toEqual([]);
    expect(relaunched[0] && cluster.drivers[relaunched[0].id]?.workerId).toBe('w-alive');
    const placed = Object.values(cluster.executors);
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.every((e) => e.workerId === 'w-alive' && e.id >= 2)).toBe(true);
    const listed = await loadListedCluster(deps.table);
    expect(listed.drivers['driver-sup']?.state).toBe('RELAUNCHING');
  });

  it('a dead worker is listed until (P+1)·T after its last heartbeat, then forgotten with its queue', async () => {
    await ensureWorkerQueue(deps.sqs, 'w-silent');
    deps.clock.now = START + T * 1000 + 1;
    await heartbeat(deps.clock.now);
    await runCleanup(deps, 'c1');
    deps.clock.now = START + 16 * T * 1000;
    await heartbeat(deps.clock.now);
    expect((await runCleanup(deps, 'c2')).forgotten).toEqual([]);
    deps.clock.now = START + 16 * T * 1000 + 1;
    await heartbeat(deps.clock.now);
    expect((await runCleanup(deps, 'c3')).forgotten).toEqual(['w-silent']);
    const { cluster } = await loadActiveCluster(deps.table);
    expect(cluster.workers['w-silent']).toBeUndefined();
    await expect(
      deps.sqs.send(new GetQueueUrlCommand({ QueueName: workerQueueName('w-silent') })),
    ).rejects.toThrow();
  });

  it('retention keeps what Spark keeps of completed drivers', async () => {
    const done = Array.from({ length: 25 }, (_, i) =>
      aDriver({
        id: `driver-done-${String(i).padStart(2, '0')}`,
        seq: 100 + i,
        state: 'FINISHED',
        endTimeMs: i,
      }),
    );
    await putRecords(deps.table, { drivers: done });
    const outcome = await runCleanup(deps, 'c1');
    expect(outcome.trimmed).toBeGreaterThan(0);
    const listed = await loadListedCluster(deps.table);
    const kept = Object.values(listed.drivers).filter((d) => d.state === 'FINISHED');
    // 25 appended to a list of 10 that drops its oldest one at a time: the 10 newest stay.
    expect(kept.map((d) => d.id).sort()).toEqual(done.slice(15).map((d) => d.id));
  });

  it('one cleanup at a time: a second one while the first holds the lease does nothing', async () => {
    const { acquireLease } = await import('../../lib/store/lease.js');
    deps.clock.now = START + T * 1000 + 1;
    await acquireLease(deps.table, 'cleanup', 'other', deps.now(), 30_000);
    expect(await runCleanup(deps, 'c1')).toEqual({
      ran: false,
      lost: [],
      forgotten: [],
      trimmed: 0,
    });
  });
});
