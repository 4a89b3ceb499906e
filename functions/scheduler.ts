// The scheduler Lambda, triggered by the nudge queue (SQS FIFO). Whatever the batch holds,
// it runs one pass. Nudges it could not serve are reported back, never thrown, so SQS
// delivers them again after the visibility timeout.
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AuthConfig, withLaunchTokens } from '../lib/api/auth.js';
import { authFromEnv, clusterFromEnv, driverTemplatesFromEnv } from '../lib/api/deps.js';
import { type MetricsSink, recordPass } from '../lib/cloud/metrics.js';
import { type PoolDeps, poolDepsFromEnv, scaleOut } from '../lib/cloud/worker-pool.js';
import { pushCommands } from '../lib/cloud/worker-queues.js';
import { masterConfig } from '../lib/core/config.js';
import type { DriverTemplate } from '../lib/core/driver-command.js';
import { killCommands, launchCommands } from '../lib/protocol/commands.js';
import { type PassConfig, runSchedulingPass } from '../lib/store/pass.js';
import type { Table } from '../lib/store/table.js';

const logger = new Logger({ serviceName: 'sparkplane-scheduler' });

export interface SchedulerDeps {
  readonly table: Table;
  readonly sqs: SQSClient;
  readonly config: PassConfig;
  readonly leaseMs: number;
  /** Drivers get a token for the application routes with their LaunchDriver. */
  readonly auth: AuthConfig;
  readonly driverTemplates: readonly DriverTemplate[];
  /** The elastic worker pool, when there is one: workers started for what waits. */
  readonly pool?: PoolDeps;
  /** Where passes are counted, flushed after each batch. */
  readonly metrics: MetricsSink;
}

export async function schedulerDepsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<SchedulerDeps> {
  const { table, sqs, props, metrics } = clusterFromEnv(env);
  const config = masterConfig(props);
  const pool = poolDepsFromEnv(env, table, config, logger);
  return {
    table,
    sqs,
    config,
    leaseMs: Number(env.SCHEDULER_LEASE_MS ?? 30_000),
    auth: await authFromEnv(env),
    driverTemplates: driverTemplatesFromEnv(env),
    metrics,
    ...(pool ? { pool } : {}),
  };
}

export function schedulerHandler(deps: () => SchedulerDeps | Promise<SchedulerDeps>) {
  return async (
    event: SQSEvent,
    context: Pick<Context, 'awsRequestId'>,
  ): Promise<SQSBatchResponse> => {
    const retryAll = {
      batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
    };
    const started = performance.now();
    let metrics: MetricsSink | undefined;
    try {
      const resolved = await deps();
      metrics = resolved.metrics;
      const { table, sqs, config, leaseMs, auth, driverTemplates, pool } = resolved;
      const passStarted = performance.now();
      const outcome = await runSchedulingPass(table, config, {
        holder: context.awsRequestId,
        leaseMs,
        maxAttempts: 3,
        now: Date.now,
        random: Math.random,
      });
      if (outcome.kind === 'not-leader') {
        logger.info('another pass holds the lease; nudges wait', { nudges: event.Records.length });
        return retryAll;
      }
      recordPass(metrics, outcome, (performance.now() - passStarted) / 1000);
      // Only now, after the commit, are workers told what to launch (and what to kill).
      const batches = [
        killCommands(outcome.effects),
        ...(await Promise.all(
          outcome.committed.map(({ plan, cluster }) =>
            withLaunchTokens(auth, launchCommands(cluster, plan, driverTemplates)),
          ),
        )),
      ];
      for (const commands of batches) {
        const pushed = await pushCommands(sqs, commands);
        if (pushed.unreached.length > 0) {
          logger.warn('workers not reached; they converge by heartbeat', {
            workers: pushed.unreached,
          });
        }
      }
      if (pool && outcome.after && outcome.settled) {
        // Starting workers is an accelerator too: cleanup tries again within a minute.
        await scaleOut(pool, outcome.after).catch((error: Error) =>
          logger.error('workers could not be started', { error }),
        );
      }
      const placed = outcome.committed.reduce(
        (n, { plan: p }) => n + p.drivers.length + p.executors.length,
        0,
      );
      logger.info('pass done', {
        nudges: event.Records.length,
        placed,
        attempts: outcome.attempts,
        durationMs: Math.round(performance.now() - started),
      });
      return outcome.settled ? { batchItemFailures: [] } : retryAll;
    } catch (error) {
      logger.error('pass failed; nudges will be delivered again', { error: error as Error });
      return retryAll;
    } finally {
      metrics?.flush();
    }
  };
}

let deps: Promise<SchedulerDeps> | undefined;
export const handler = schedulerHandler(() => {
  deps ??= schedulerDepsFromEnv();
  return deps;
});
