// Drivers' queue timeouts and maximum runtimes, and what runs hold, on DynamoDB Local and
// fauxqs with a simulated clock: cleanup ends a driver no worker can run with the reason,
// asks a worker to kill a driver past its runtime (once, and again each minute while it
// runs), and a pass's launch time gives exact core-seconds.
import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { runCleanup } from '../../functions/cleanup.js';
import { ensureWorkerQueue } from '../../lib/cloud/worker-queues.js';
import { workerReports } from '../../lib/core/lifecycle.js';
import type { Driver } from '../../lib/core/model.js';
import { driverUsage } from '../../lib/core/usage.js';
import { readApplication } from '../../lib/store/applications.js';
import { applyEvent } from '../../lib/store/apply.js';
import { loadActiveCluster, loadListedCluster, putRecords } from '../../lib/store/cluster.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { loadScope } from '../../lib/store/scope.js';
import { recordHeartbeat } from '../../lib/store/workers.js';
import { aDriver, anApp, aWorker } from '../unit/core/fixtures.js';
import { cleanupDeps, type TestCleanupDeps } from './cleanup-deps.js';
import { violations } from './invariants.js';

const START = Date.UTC(2026, 11, 2, 12);
let deps: TestCleanupDeps;
// Worker queues are named by worker id: one of its own, apart from other files' `w1`.
const W = `w-timeouts-${randomUUID().slice(0, 8)}`;

const driver = (id: string, seq: number, memoryMb: number, props: Record<string, string> = {}) => {
  const base = aDriver({ id });
  return aDriver({
    id,
    seq,
    submitTimeMs: START,
    description: { ...base.description, memoryMb, sparkProperties: props },
  });
};

beforeEach(async () => {
  deps = await cleanupDeps('timeouts', START, {
    'spark.sparkplane.driver.queueTimeout': '10m',
    'spark.sparkplane.usage.vcpuHourPrice': '0.04048',
    'spark.sparkplane.usage.gbHourPrice': '0.004445',
  });
  const { table } = deps;
  await putRecords(table, {
    workers: [aWorker({ id: W, cores: 4, memoryMb: 4096, lastHeartbeatMs: START })],
    drivers: [
      driver('driver-big', 0, 16_384),
      driver('driver-sleeper', 1, 1024, { 'spark.sparkplane.driver.maxRuntime': '2m' }),
    ],
  });
});

const pass = () =>
  runSchedulingPass(deps.table, deps.config, {
    holder: randomUUID(),
    leaseMs: 10_000,
    maxAttempts: 3,
    now: deps.now,
    random: mulberry32(1),
  });

/** The clock moves on; the worker keeps heartbeating. */
async function at(now: number) {
  deps.clock.now = now;
  await recordHeartbeat(deps.table, W, now);
}

/** What the worker's queue holds, drained. */
async function commands(queueUrl: string): Promise<unknown[]> {
  const { Messages = [] } = await deps.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return Messages.map((m) => JSON.parse(String(m.Body)));
}

describe('driver timeouts through cleanup', () => {
  it('a driver bigger than any worker ends ERROR past its queue timeout, saying why', async () => {
    await pass();
    let { cluster } = await loadActiveCluster(deps.table);
    expect(cluster.drivers['driver-big']?.state).toBe('SUBMITTED');
    expect(cluster.drivers['driver-sleeper']).toMatchObject({
      state: 'RUNNING',
      launchTimeMs: START,
    });

    await at(START + 600_000);
    // The other one's runtime is long past; this one's queue timeout not yet.
    expect((await runCleanup(deps, 'c1')).timedOut).toEqual(['driver-sleeper']);
    await at(START + 600_001);
    expect((await runCleanup(deps, 'c2')).timedOut).toEqual(['driver-big']);
    const listed = await loadListedCluster(deps.table);
    expect(listed.drivers['driver-big']).toMatchObject({
      state: 'ERROR',
      endTimeMs: START + 600_001,
      exception:
        'Not placed within its queue timeout (10m): no ALIVE worker has 16384 MiB of memory (the most any has is 4096 MiB)',
    });
    // It never ran: it held nothing.
    expect(driverUsage(listed.drivers['driver-big'] as Driver, deps.now()).coreSeconds).toBe(0);
    ({ cluster } = await loadActiveCluster(deps.table));
    expect(violations(cluster)).toEqual([]);
  });

  it('a driver past its maximum runtime is asked to stop, then ends KILLED with the reason and exact usage', async () => {
    const queueUrl = await ensureWorkerQueue(deps.sqs, W);
    await pass();
    await at(START + 120_000);
    expect((await runCleanup(deps, 'c1')).timedOut).toEqual([]);
    await at(START + 120_001);
    expect((await runCleanup(deps, 'c2')).timedOut).toEqual(['driver-sleeper']);
    const kill = { type: 'KillDriver', driverId: 'driver-sleeper' };
    // Asked now, and again by the next minute's run while it still runs.
    expect(await commands(queueUrl)).toContainEqual(kill);
    await at(START + 180_000);
    expect((await runCleanup(deps, 'c3')).timedOut).toEqual([]);
    expect(await commands(queueUrl)).toContainEqual(kill);

    // The worker kills it 5 s after the ask: KILLED, the reason as its message.
    const ended = START + 125_000;
    await applyEvent(
      deps.table,
      () => loadScope(deps.table, { drivers: ['driver-sleeper'] }),
      (c, budget) =>
        workerReports(
          c,
          [{ kind: 'driver', driverId: 'driver-sleeper', state: 'KILLED' }],
          deps.config,
          ended,
          budget,
          W,
        ),
      { now: ended, config: deps.config },
    );
    const sleeper = (await loadListedCluster(deps.table)).drivers['driver-sleeper'] as Driver;
    expect(sleeper).toMatchObject({
      state: 'KILLED',
      exception: 'Killed: it ran past its maximum runtime (2m)',
      launchTimeMs: START,
      endTimeMs: ended,
    });
    // 1 core and 1024 MiB for 125 s; priced at 0.04048 per vCPU-hour and 0.004445 per GB-hour.
    expect(driverUsage(sleeper, deps.now(), deps.config.usagePrices)).toEqual({
      coreSeconds: 125,
      memoryMibSeconds: 128_000,
      resourceSeconds: {},
      estimatedCostUsd: 0.00156,
    });
    const { cluster } = await loadActiveCluster(deps.table);
    expect(cluster.workers[W]?.coresUsed).toBe(0);
  });
});

describe('an application no worker could ever host', () => {
  it('gets Spark’s warning from a pass, which a pass clears once a worker could host it', async () => {
    const big = anApp({ id: 'app-big', state: 'WAITING', submitTimeMs: START });
    const profile = { ...big.description.defaultProfile, memoryMb: 8192 };
    await putRecords(deps.table, {
      applications: [
        {
          ...big,
          description: { ...big.description, defaultProfile: profile },
          resourceProfiles: { 0: { id: 0, ...profile } },
        },
      ],
    });
    await pass();
    const warning = 'App app-big requires more resource than any of Workers could have.';
    expect((await readApplication(deps.table, 'app-big'))?.application.warning).toBe(warning);
    // Nothing changed: the next pass writes nothing more.
    await pass();
    expect((await readApplication(deps.table, 'app-big'))?.application.warning).toBe(warning);

    await putRecords(deps.table, {
      workers: [aWorker({ id: `${W}-big`, cores: 8, memoryMb: 32_768, lastHeartbeatMs: START })],
    });
    await pass();
    const found = await readApplication(deps.table, 'app-big');
    expect(found?.application.warning).toBeUndefined();
    expect(found?.application.state).toBe('RUNNING');
    expect(found?.executors.length).toBeGreaterThan(0);
  });
});
