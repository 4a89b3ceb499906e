// The cleanup Lambda (EventBridge, every minute; a timer in local mode): Spark's
// CheckForWorkerTimeOut — silent workers are lost, their executors LOST and placed again,
// supervised drivers relaunched; long-dead workers forgotten with their command queues —
// and retention trimming of completed applications and drivers. It holds its own lease,
// fences every write with it, and nudges the scheduler when it changed something.
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { clusterFromEnv, nudgerFromEnv } from '../lib/api/deps.js';
import type { Nudge } from '../lib/cloud/nudge.js';
import {
  type PoolDeps,
  poolDepsFromEnv,
  type Reconciled,
  reconcilePool,
  scaleOut,
} from '../lib/cloud/worker-pool.js';
import { deleteWorkerQueue } from '../lib/cloud/worker-queues.js';
import { type MasterConfig, masterConfig } from '../lib/core/config.js';
import {
  type Effect,
  forgetWorker,
  timedOutWorkers,
  trimRetention,
  workerLost,
} from '../lib/core/lifecycle.js';
import { isApplicationActive, isDriverWaiting } from '../lib/core/model.js';
import { applyEvent } from '../lib/store/apply.js';
import { loadActiveCluster } from '../lib/store/cluster.js';
import { forgetCompleted } from '../lib/store/completed.js';
import { acquireLease, releaseLease } from '../lib/store/lease.js';
import { loadScope } from '../lib/store/scope.js';
import type { Table } from '../lib/store/table.js';

const logger = new Logger({ serviceName: 'sparkplane-cleanup' });

export const CLEANUP_LEASE = 'cleanup';

export interface CleanupDeps {
  readonly table: Table;
  readonly sqs: SQSClient;
  readonly nudge: Nudge;
  readonly config: MasterConfig;
  readonly leaseMs: number;
  readonly now: () => number;
  /** The elastic worker pool, when there is one: reconciled, scaled in, kept at its minimum. */
  readonly pool?: PoolDeps;
}

export interface CleanupOutcome {
  /** False when another cleanup held the lease: this tick did nothing. */
  readonly ran: boolean;
  readonly lost: readonly string[];
  readonly forgotten: readonly string[];
  /** Completed applications, drivers and executors forgotten by retention. */
  readonly trimmed: number;
  readonly pool?: Omit<Reconciled, 'effects'> & { readonly started: number };
}

export async function runCleanup(deps: CleanupDeps, holder: string): Promise<CleanupOutcome> {
  const { table, config } = deps;
  const lease = await acquireLease(table, CLEANUP_LEASE, holder, deps.now(), deps.leaseMs);
  if (!lease) return { ran: false, lost: [], forgotten: [], trimmed: 0 };
  try {
    const now = deps.now();
    const { cluster, generations } = await loadActiveCluster(table);
    const { lost, forgotten, reason } = timedOutWorkers(cluster, config, now);
    const effects: Effect[] = [];
    // One worker at a time: each loss is bounded steps of its own (DESIGN: fenced).
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
    const trimmed = await forgetCompleted(table, (completed) => trimRetention(completed, config));
    // Also a safety net: a nudge that SQS refused after its change was stored is made good
    // here, within a minute, while anything waits to be placed.
    const waiting =
      Object.values(cluster.drivers).some(isDriverWaiting) ||
      Object.values(cluster.applications).some((a) => isApplicationActive(a.state));
    if (waiting || effects.some((e) => e.type === 'Schedule')) {
      await deps.nudge(`cleanup: ${lost.length} worker(s) lost`);
    }
    return { ran: true, lost, forgotten, trimmed, ...(pool ? { pool } : {}) };
  } finally {
    await releaseLease(table, lease);
  }
}

export function cleanupDepsFromEnv(env: NodeJS.ProcessEnv = process.env): CleanupDeps {
  const { table, sqs, props } = clusterFromEnv(env);
  const config = masterConfig(props);
  const pool = poolDepsFromEnv(env, table, config, logger);
  return {
    table,
    sqs,
    nudge: nudgerFromEnv(env, sqs),
    config,
    leaseMs: Number(env.CLEANUP_LEASE_MS ?? 50_000),
    now: Date.now,
    ...(pool ? { pool } : {}),
  };
}

let deps: CleanupDeps | undefined;
export const handler = async (_event: unknown, context: Pick<Context, 'awsRequestId'>) => {
  deps ??= cleanupDepsFromEnv();
  const outcome = await runCleanup(deps, context.awsRequestId);
  logger.info('cleanup done', { ...outcome });
  return outcome;
};
