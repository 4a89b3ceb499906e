// The cleanup Lambda (EventBridge, every minute; a timer in local mode): Spark's
// CheckForWorkerTimeOut — silent workers are lost, their executors LOST and placed again,
// supervised drivers relaunched; long-dead workers forgotten with their command queues —
// and retention trimming of completed applications and drivers. It holds its own lease,
// fences every write with it, and nudges the scheduler when it changed something.
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { clusterFromEnv, nudgerFromEnv, watchFromEnv } from '../lib/api/deps.js';
import type { MetricsSink } from '../lib/cloud/metrics.js';
import type { Nudge } from '../lib/cloud/nudge.js';
import { isTick, nextTick, startWatch, type Tick, type Watch } from '../lib/cloud/watch.js';
import {
  type PoolDeps,
  poolDepsFromEnv,
  type Reconciled,
  reconcilePool,
  scaleOut,
} from '../lib/cloud/worker-pool.js';
import { deleteWorkerQueue, pushCommands } from '../lib/cloud/worker-queues.js';
import { type MasterConfig, masterConfig } from '../lib/core/config.js';
import {
  driverTimedOut,
  type Effect,
  expireApplication,
  expiredApplications,
  forgetWorker,
  timedOutWorkers,
  trimRetention,
  workerLost,
} from '../lib/core/lifecycle.js';
import { type Cluster, isApplicationActive, isDriverWaiting } from '../lib/core/model.js';
import { dueDriverTimeouts, hasDriverTimeouts, whyNotPlaced } from '../lib/core/timeouts.js';
import { killCommands } from '../lib/protocol/commands.js';
import { applyEvent } from '../lib/store/apply.js';
import {
  loadActiveApplications,
  loadActiveCluster,
  loadActiveDrivers,
  loadWorkers,
} from '../lib/store/cluster.js';
import { forgetCompleted } from '../lib/store/completed.js';
import { acquireLease, type Lease, releaseLease } from '../lib/store/lease.js';
import { drainOutbox } from '../lib/store/outbox.js';
import { loadScope } from '../lib/store/scope.js';
import type { Table } from '../lib/store/table.js';

const logger = new Logger({ serviceName: 'sparkplane-cleanup' });

export const CLEANUP_LEASE = 'cleanup';
/** An outbox younger than this is still its own handler's to publish. */
export const OUTBOX_GRACE_MS = 10_000;
export const WATCH_LEASE = 'watch-checks';

const isSqsEvent = (event: unknown): event is SQSEvent =>
  Array.isArray((event as { Records?: unknown } | null)?.Records);

export interface CleanupDeps {
  readonly table: Table;
  readonly sqs: SQSClient;
  readonly nudge: Nudge;
  readonly config: MasterConfig;
  readonly leaseMs: number;
  readonly now: () => number;
  /** The elastic worker pool, when there is one: reconciled, scaled in, kept at its minimum. */
  readonly pool?: PoolDeps;
  /** The sub-minute timer of the timeout checks. */
  readonly watch?: Watch;
  /** Counts the state changes it publishes; flushed after each invocation. */
  readonly metrics?: MetricsSink;
}

export interface CleanupOutcome {
  /** False when another cleanup held the lease: this tick did nothing. */
  readonly ran: boolean;
  readonly lost: readonly string[];
  readonly forgotten: readonly string[];
  /** Applications ended because their driver stopped renewing their lease. */
  readonly expired: readonly string[];
  /** Drivers ended by their queue timeout or asked to stop by their maximum runtime. */
  readonly timedOut: readonly string[];
  /** Completed applications, drivers and executors forgotten by retention. */
  readonly trimmed: number;
  /** State-change events a handler committed and did not publish (it died), published now. */
  readonly eventsPublished?: number;
  readonly pool?: Omit<Reconciled, 'effects'> & { readonly started: number };
}

interface Checked {
  readonly lost: string[];
  readonly expired: string[];
  /** Drivers ended by their queue timeout or asked to stop by their maximum runtime. */
  readonly timedOut: string[];
  readonly effects: Effect[];
  /** Something the next tick must watch: a worker not DEAD or an active application. */
  readonly watching: boolean;
}

/**
 * Spark's timeout checks at `now`: workers silent past spark.worker.timeout are lost,
 * applications whose driver stopped renewing their lease end as on a driver's disconnect;
 * and sparkplane's own, the drivers' queue timeouts and maximum runtimes. Each loss and
 * each end is its own bounded, fenced steps, decided again on a fresh read.
 */
async function runTimeoutChecks(
  deps: CleanupDeps,
  lease: Lease,
  now: number,
  cluster: Pick<Cluster, 'workers' | 'applications' | 'drivers'>,
): Promise<Checked> {
  const { table, config } = deps;
  const { lost, reason } = timedOutWorkers(cluster, config, now);
  const effects: Effect[] = [];
  for (const workerId of lost) {
    const applied = await applyEvent(
      table,
      () => loadScope(table, { workersWithAssigned: [workerId] }),
      // Read again: a heartbeat that arrived since the first read keeps the worker.
      (c, budget, ctx) =>
        timedOutWorkers(c, config, now).lost.includes(workerId)
          ? workerLost(c, workerId, reason, ctx, budget)
          : { cluster: c, effects: [] },
      { now, config, lease },
    );
    effects.push(...applied.effects);
  }
  const expired = expiredApplications(cluster, config.appTimeoutMs, now);
  for (const appId of expired) {
    const applied = await applyEvent(
      table,
      () => loadScope(table, { applications: [appId] }),
      (c, budget) => expireApplication(c, appId, config.appTimeoutMs, now, budget),
      { now, config, lease },
    );
    effects.push(...applied.effects);
  }
  const due = dueDriverTimeouts(cluster.drivers, config, now);
  const timedOut = [...due.queued, ...due.overdue];
  for (const driverId of timedOut) {
    // Why it waits needs every worker and driver, which this read has and a scope has not.
    const why = whyNotPlaced({ ...cluster, executors: {} }, driverId, config.maxDrivers);
    const applied = await applyEvent(
      table,
      () => loadScope(table, { drivers: [driverId] }),
      (c) => driverTimedOut(c, driverId, config, now, why),
      { now, config, lease },
    );
    effects.push(...applied.effects);
    await pushCommands(deps.sqs, killCommands(applied.effects));
  }
  const watching =
    Object.values(cluster.workers).some((w) => w.state !== 'DEAD' && !lost.includes(w.id)) ||
    Object.values(cluster.applications).some(
      (a) => isApplicationActive(a.state) && !expired.includes(a.id),
    ) ||
    hasDriverTimeouts(cluster.drivers, config);
  return { lost, expired, timedOut, effects, watching };
}

export async function runCleanup(deps: CleanupDeps, holder: string): Promise<CleanupOutcome> {
  const { table, config } = deps;
  const lease = await acquireLease(table, CLEANUP_LEASE, holder, deps.now(), deps.leaseMs);
  if (!lease) return { ran: false, lost: [], expired: [], timedOut: [], forgotten: [], trimmed: 0 };
  try {
    const now = deps.now();
    const { cluster, generations } = await loadActiveCluster(table);
    const { forgotten } = timedOutWorkers(cluster, config, now);
    const checked = await runTimeoutChecks(deps, lease, now, cluster);
    const { lost, expired, timedOut, effects } = checked;
    for (const workerId of forgotten) {
      await applyEvent(
        table,
        () => loadScope(table, { workers: [workerId] }),
        (c) =>
          timedOutWorkers(c, config, now).forgotten.includes(workerId)
            ? forgetWorker(c, workerId)
            : { cluster: c, effects: [] },
        { now, config, lease },
      );
      await deleteWorkerQueue(deps.sqs, workerId);
    }
    let pool: CleanupOutcome['pool'];
    if (deps.pool) {
      const reconciled = await reconcilePool(deps.pool, cluster, generations, lease);
      effects.push(...reconciled.effects);
      // Keeps the minimum and replaces what was lost (a pass does the rest when nudged).
      const started = await scaleOut(deps.pool, cluster);
      const { effects: _, ...figures } = reconciled;
      pool = { ...figures, started };
    }
    // A driver asked to stop that still runs is asked again, once a minute.
    const { stopping } = dueDriverTimeouts(cluster.drivers, config, now);
    await pushCommands(
      deps.sqs,
      killCommands(stopping.map((s) => ({ type: 'KillDriver' as const, ...s }))),
    );
    // Before retention: a trimmed record's events are published first.
    const eventsPublished = await drainOutbox(table, now, OUTBOX_GRACE_MS).catch((error) => {
      logger.error('events still not published; the next run tries again', { error });
      return 0;
    });
    const trimmed = await forgetCompleted(table, (completed) => trimRetention(completed, config));
    // Also a safety net: a nudge that SQS refused after its change was stored is made good
    // here, within a minute, while anything waits to be placed.
    const waiting =
      Object.values(cluster.drivers).some(isDriverWaiting) ||
      Object.values(cluster.applications).some((a) => isApplicationActive(a.state));
    if (waiting || effects.some((e) => e.type === 'Schedule')) {
      await deps.nudge(`cleanup: ${lost.length} worker(s) lost`);
    }
    // The minute's run restarts a watch whose chain broke.
    if (deps.watch && checked.watching) await startWatch(deps.watch, deps.now());
    return {
      ran: true,
      lost,
      expired,
      timedOut,
      forgotten,
      trimmed,
      eventsPublished,
      ...(pool ? { pool } : {}),
    };
  } finally {
    await releaseLease(table, lease);
  }
}

/** One tick of the watch: the timeout checks, then the next tick while there is more. */
export async function runTick(deps: CleanupDeps, tick: Tick, holder: string): Promise<Checked> {
  const none: Checked = { lost: [], expired: [], timedOut: [], effects: [], watching: false };
  const watch = deps.watch;
  if (!watch) return none;
  const lease = await acquireLease(deps.table, WATCH_LEASE, holder, deps.now(), watch.periodMs);
  let checked = none;
  if (lease) {
    try {
      const now = deps.now();
      const [workers, applications, drivers] = await Promise.all([
        loadWorkers(deps.table),
        loadActiveApplications(deps.table),
        loadActiveDrivers(deps.table),
      ]);
      checked = await runTimeoutChecks(deps, lease, now, { workers, applications, drivers });
      if (checked.effects.some((e) => e.type === 'Schedule')) {
        await deps.nudge(`watch: ${checked.lost.length} worker(s) lost`);
      }
    } finally {
      await releaseLease(deps.table, lease);
    }
  }
  // Without the lease another tick or the minute's cleanup checks now: the chain goes on.
  await nextTick(watch, tick, deps.now(), lease ? checked.watching : true);
  return checked;
}

/**
 * What runs a worker stopped (ECS's "Task State Change" to STOPPED, a local agent's exit):
 * its worker is lost at once, not after spark.worker.timeout (a graceful stop already
 * disconnected it: nothing to do).
 */
export async function workerTaskStopped(
  deps: CleanupDeps,
  taskArn: string,
  reason: string,
): Promise<string[]> {
  const workers = await loadWorkers(deps.table);
  const gone = Object.values(workers).filter((w) => w.instanceId === taskArn && w.state !== 'DEAD');
  const now = deps.now();
  for (const w of gone) {
    const applied = await applyEvent(
      deps.table,
      () => loadScope(deps.table, { workersWithAssigned: [w.id] }),
      (c, budget, ctx) => workerLost(c, w.id, reason, ctx, budget),
      { now, config: deps.config },
    );
    if (applied.effects.some((e) => e.type === 'Schedule')) {
      await deps.nudge(`worker ${w.id}: its task stopped`);
    }
  }
  return gone.map((w) => w.id);
}

const ecsTaskStopped = z.object({
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Task State Change'),
  detail: z.object({
    taskArn: z.string(),
    lastStatus: z.literal('STOPPED'),
    stoppedReason: z.string().default('unknown'),
  }),
});

/** The watch's queue: its ticks and ECS task-state events, each failure retried alone. */
export async function handleWatchMessages(
  deps: CleanupDeps,
  event: SQSEvent,
  holder: string,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const body: unknown = JSON.parse(record.body);
      if (isTick(body)) {
        await runTick(deps, body, holder);
        continue;
      }
      const stopped = ecsTaskStopped.safeParse(body);
      if (stopped.success) {
        const { taskArn, stoppedReason } = stopped.data.detail;
        await workerTaskStopped(deps, taskArn, `ECS task stopped: ${stoppedReason}`);
        continue;
      }
      logger.warn('ignored a message that is neither a tick nor a stopped task', {
        messageId: record.messageId,
      });
    } catch (error) {
      logger.error('watch message failed; SQS delivers it again', { error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export function cleanupDepsFromEnv(env: NodeJS.ProcessEnv = process.env): CleanupDeps {
  const { table, sqs, props, metrics } = clusterFromEnv(env);
  const config = masterConfig(props);
  const pool = poolDepsFromEnv(env, table, config, logger);
  const watch = watchFromEnv(env, table, sqs, config);
  return {
    metrics,
    table,
    sqs,
    nudge: nudgerFromEnv(env, sqs),
    config,
    leaseMs: Number(env.CLEANUP_LEASE_MS ?? 50_000),
    now: Date.now,
    ...(pool ? { pool } : {}),
    ...(watch ? { watch } : {}),
  };
}

let deps: CleanupDeps | undefined;
export const handler = async (event: unknown, context: Pick<Context, 'awsRequestId'>) => {
  deps ??= cleanupDepsFromEnv();
  try {
    if (isSqsEvent(event)) return await handleWatchMessages(deps, event, context.awsRequestId);
    const outcome = await runCleanup(deps, context.awsRequestId);
    logger.info('cleanup done', { ...outcome });
    return outcome;
  } finally {
    deps.metrics?.flush();
  }
};
