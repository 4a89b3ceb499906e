// The cleanup function on DynamoDB Local and fauxqs, with a simulated clock: a silent
// worker is lost after spark.worker.timeout and its work placed again; a long-dead worker
// is forgotten with its queue; retention trims completed drivers; one cleanup at a time; an
// application whose driver went silent ends; the watch's ticks and ECS's task events.
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { handleWatchMessages, runCleanup } from '../../functions/cleanup.js';
import { nextTick, startWatch, type Watch } from '../../lib/cloud/watch.js';
import { ensureWorkerQueue, workerQueueName } from '../../lib/cloud/worker-queues.js';
import type { Driver } from '../../lib/core/model.js';
import { pollOnce } from '../../lib/local/sqs-poller.js';
import { renewApplicationLease } from '../../lib/store/applications.js';
import {
  loadActiveCluster,
  loadListedCluster,
  loadWorkers,
  putRecords,
} from '../../lib/store/cluster.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { recordHeartbeat } from '../../lib/store/workers.js';
import { aDriver, anApp, anExecutor, aWorker } from '../unit/core/fixtures.js';
import { uniqueName } from './aws.js';
import { cleanupDeps, type TestCleanupDeps } from './cleanup-deps.js';
import { violations } from './invariants.js';

const T = 60;
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/workers/0123456789abcdef';
const START = Date.UTC(2026, 10, 22, 12);
let deps: TestCleanupDeps;

beforeEach(async () => {
  deps = await cleanupDeps('cleanup', START, {
    'spark.worker.timeout': String(T),
    'spark.deploy.retainedDrivers': '10',
  });
  const { table } = deps;
  const supervised = { ...aDriver({ id: 'x' }).description, supervise: true };
  await putRecords(table, {
    workers: [
      aWorker({
        id: 'w-silent',
        cores: 8,
        coresUsed: 3,
        memoryUsedMb: 3072,
        lastHeartbeatMs: START,
        instanceId: TASK_ARN,
      }),
      aWorker({ id: 'w-alive', cores: 8, lastHeartbeatMs: START }),
    ],
    applications: [anApp({ id: 'app-1', coresGranted: 2, nextExecutorId: 2, submitTimeMs: START })],
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

/** Every worker but w-silent keeps heartbeating; app-1's driver keeps renewing its lease. */
async function heartbeat(now: number) {
  await recordHeartbeat(deps.table, 'w-alive', now);
  await renewApplicationLease(deps.table, 'app-1', now);
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
      expired: [],
      timedOut: [],
      forgotten: [],
      trimmed: 0,
    });
  });

  it('an application whose driver stops renewing its lease ends after spark.sparkplane.app.timeout', async () => {
    const timeout = deps.config.appTimeoutMs;
    deps.clock.now = START + timeout;
    await recordHeartbeat(deps.table, 'w-silent', deps.clock.now);
    expect((await runCleanup(deps, 'c1')).expired).toEqual([]);
    deps.clock.now = START + timeout + 1;
    await recordHeartbeat(deps.table, 'w-silent', deps.clock.now);
    expect((await runCleanup(deps, 'c2')).expired).toEqual(['app-1']);
    const listed = await loadListedCluster(deps.table);
    expect(listed.applications['app-1']).toMatchObject({ state: 'FINISHED' });
    expect(Object.keys((await loadActiveCluster(deps.table)).cluster.executors)).toEqual([]);
    // The executors' capacity is back; only the supervised driver's stays held.
    expect(listed.workers['w-silent']).toMatchObject({ coresUsed: 1, memoryUsedMb: 1024 });
  });
});

describe('the watch (the sub-minute timer of the timeout checks)', () => {
  let watch: Watch;
  beforeEach(async () => {
    const { QueueUrl } = await deps.sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName('watch') }),
    );
    watch = { table: deps.table, sqs: deps.sqs, queueUrl: QueueUrl as string, periodMs: 1000 };
    deps = { ...deps, watch };
  });

  /** Serves the watch queue's next delivery (real SQS delays, simulated clock). */
  const serve = async () => {
    for (let i = 0; i < 10; i++) {
      const served = await pollOnce(
        deps.sqs,
        watch.queueUrl,
        (event) => handleWatchMessages(deps, event, randomUUID()),
        2,
      );
      if (served > 0) return served;
    }
    throw new Error('no tick arrived');
  };

  it('finds a silent worker at the first tick past T: detection within T + one period', async () => {
    expect(await startWatch(watch, deps.now())).toBe(true);
    // One chain: starting again while a tick is on its way does nothing.
    expect(await startWatch(watch, deps.now())).toBe(false);
    deps.clock.now = START + T * 1000 - 500;
    await heartbeat(deps.clock.now);
    await serve();
    expect((await loadWorkers(deps.table))['w-silent']?.state).toBe('ALIVE');
    deps.clock.now += watch.periodMs;
    await heartbeat(deps.clock.now);
    await serve();
    const workers = await loadWorkers(deps.table);
    expect(workers['w-silent']?.state).toBe('DEAD');
    expect(workers['w-alive']?.state).toBe('ALIVE');
  });

  it('a duplicate or stale tick is dropped; the chain ends when nothing is left to watch', async () => {
    await startWatch(watch, deps.now());
    const { Item } = await deps.table.doc.send(
      new GetCommand({ TableName: deps.table.name, Key: { pk: 'LEASE', sk: 'watch' } }),
    );
    const tick = { watch: Number(Item?.dueMs) };
    expect(await nextTick(watch, { watch: tick.watch - 1 }, deps.now(), true)).toBe(false);
    expect(await nextTick(watch, tick, deps.now(), false)).toBe(true);
    expect(await nextTick(watch, tick, deps.now(), false)).toBe(false);
    // Nothing pending: a new chain may start.
    expect(await startWatch(watch, deps.now())).toBe(true);
  });

  it("ECS's stopped-task event makes its worker lost at once", async () => {
    deps.clock.now = START + 1000;
    const event = {
      version: '0',
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      detail: {
        taskArn: TASK_ARN,
        lastStatus: 'STOPPED',
        stoppedReason: 'Essential container in task exited',
      },
    };
    const answer = await handleWatchMessages(
      deps,
      {
        Records: [
          { messageId: 'm1', body: JSON.stringify(event) },
          { messageId: 'm2', body: '{"neither":true}' },
        ] as SQSEvent['Records'],
      },
      'h',
    );
    expect(answer).toEqual({ batchItemFailures: [] });
    const workers = await loadWorkers(deps.table);
    expect(workers['w-silent']).toMatchObject({
      state: 'DEAD',
      lostReason: 'ECS task stopped: Essential container in task exited',
    });
    const listed = await loadListedCluster(deps.table);
    expect(listed.drivers['driver-sup']?.state).toBe('RELAUNCHING');
  });
});
