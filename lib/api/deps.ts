// What every HTTP handler works with, built once per Lambda container (or once for the
// local gateway). Master settings come from SPARK_MASTER_OPTS, as for Spark's own master.

import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { countedEvents, eventBridgeSink } from '../cloud/events.js';
import { type LogStore, openLogStore } from '../cloud/log-store.js';
import { type MetricsSink, metricsSinkFromEnv } from '../cloud/metrics.js';
import { type Nudge, nudger } from '../cloud/nudge.js';
import { startWatch, type Watch, watchPeriodMs } from '../cloud/watch.js';
import { pushCommands } from '../cloud/worker-queues.js';
import {
  type MasterConfig,
  masterConfig,
  propertiesFromJavaOptions,
  type WorkerConfig,
  workerConfig,
} from '../core/config.js';
import {
  DEFAULT_DRIVER_TEMPLATES,
  type DriverTemplate,
  parseDriverTemplates,
} from '../core/driver-command.js';
import type { Effect } from '../core/lifecycle.js';
import { killCommands } from '../protocol/commands.js';
import { openTable, type Table } from '../store/table.js';
import {
  AUTH_OFF,
  type AuthConfig,
  decodeKeys,
  jwsAuth,
  tokenRules,
  trustNetwork,
} from './auth.js';
import type { EventSource } from './http.js';

export interface ApiDeps {
  readonly table: Table;
  readonly sqs: SQSClient;
  readonly nudge: Nudge;
  readonly master: MasterConfig;
  readonly worker: WorkerConfig;
  readonly auth: AuthConfig;
  /**
   * The value a `{{NAME}}` placeholder of a submission becomes: only variables on the
   * allow-list (the function's environment also holds AWS credentials).
   */
  readonly placeholder: (name: string) => string | undefined;
  /** How drivers are run (lib/core/driver-command.ts). */
  readonly driverTemplates: readonly DriverTemplate[];
  readonly now: () => number;
  readonly logger: Logger;
  /** Where counters and histograms go (lib/cloud/metrics.ts), flushed after each request. */
  readonly metrics: MetricsSink;
  /** The web UI (lib/ui/page.ts), served at `/` to browsers; none: the error servlet. */
  readonly uiPage?: string;
  /** The timeout checks' timer, started when a worker or an application registers. */
  readonly watch?: Watch;
  /** Where drivers' and executors' logs are kept (the functions that ship or read them). */
  readonly logs?: LogStore;
}

/** Driver templates from SPARKPLANE_DRIVER_TEMPLATES (a JSON array), or the defaults. */
export function driverTemplatesFromEnv(env: NodeJS.ProcessEnv): readonly DriverTemplate[] {
  const json = env.SPARKPLANE_DRIVER_TEMPLATES;
  return json ? parseDriverTemplates(json) : DEFAULT_DRIVER_TEMPLATES;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The allow-listed part of an environment, as a placeholder lookup. */
export function placeholdersFrom(
  allowed: string,
  env: NodeJS.ProcessEnv,
): (name: string) => string | undefined {
  const names = new Set(
    allowed
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
  );
  return (name) => (names.has(name) ? env[name] : undefined);
}

/**
 * Auth from SPARKPLANE_AUTH (`jws`, the default, or `off`) and the two base64url keys: in
 * AWS from Secrets Manager (SPARKPLANE_SUBMISSION_KEY_SECRET, SPARKPLANE_WORKER_KEY_SECRET:
 * secret ids), else from SPARKPLANE_SUBMISSION_KEY and SPARKPLANE_WORKER_KEY. Either may
 * hold two keys during a rotation (the new one first). The token rules come from the
 * master's properties.
 */
export async function authFromEnv(
  env: NodeJS.ProcessEnv,
  props: Readonly<Record<string, string>> = propertiesFromJavaOptions(env.SPARK_MASTER_OPTS ?? ''),
): Promise<AuthConfig> {
  const mode = env.SPARKPLANE_AUTH ?? 'jws';
  if (mode === 'off') return AUTH_OFF;
  if (mode !== 'jws') throw new ConfigError(`SPARKPLANE_AUTH must be jws or off, not ${mode}`);
  const secrets = new SecretsManagerClient({});
  const read = async (secret: string | undefined, plain: string | undefined) => {
    if (!secret) return plain;
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secret }));
    return SecretString;
  };
  const [submission, worker] = await Promise.all([
    read(env.SPARKPLANE_SUBMISSION_KEY_SECRET, env.SPARKPLANE_SUBMISSION_KEY),
    read(env.SPARKPLANE_WORKER_KEY_SECRET, env.SPARKPLANE_WORKER_KEY),
  ]);
  if (!submission || !worker) {
    throw new ConfigError(
      'the submission and worker keys are required (SPARKPLANE_*_KEY_SECRET or SPARKPLANE_*_KEY) unless SPARKPLANE_AUTH=off',
    );
  }
  return jwsAuth(
    decodeKeys('the submission key', submission),
    decodeKeys('the worker key', worker),
    tokenRules(props),
  );
}

const eventsLogger = new Logger({ serviceName: 'sparkplane-events' });

/**
 * What every function reads from its environment: the table (TABLE_NAME), SQS and the
 * master's Spark properties; DYNAMODB_ENDPOINT and SQS_ENDPOINT point at stand-ins.
 */
export function clusterFromEnv(env: NodeJS.ProcessEnv) {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new ConfigError('TABLE_NAME is required');
  const table = openTable(
    tableName,
    env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {},
  );
  // One sink per function: its requests' counters and its published state changes.
  const metrics = metricsSinkFromEnv(env);
  // State-change events go to the stack's bus (EVENT_BUS_NAME), when it has one.
  const bus = env.EVENT_BUS_NAME;
  const failed = (error: unknown) =>
    eventsLogger.error('events not published; cleanup publishes them', { error: error as Error });
  return {
    metrics,
    table: bus
      ? {
          ...table,
          events: countedEvents(eventBridgeSink(new EventBridgeClient({}), bus, failed), metrics),
        }
      : table,
    sqs: new SQSClient(env.SQS_ENDPOINT ? { endpoint: env.SQS_ENDPOINT } : {}),
    props: propertiesFromJavaOptions(env.SPARK_MASTER_OPTS ?? ''),
  };
}

/** The scheduler's nudges, on the queue NUDGE_QUEUE_URL. */
export function nudgerFromEnv(env: NodeJS.ProcessEnv, sqs: SQSClient): Nudge {
  if (!env.NUDGE_QUEUE_URL) throw new ConfigError('NUDGE_QUEUE_URL is required');
  return nudger(sqs, env.NUDGE_QUEUE_URL);
}

/** The watch on the queue WATCH_QUEUE_URL, if the stack has one. */
export function watchFromEnv(
  env: NodeJS.ProcessEnv,
  table: Table,
  sqs: SQSClient,
  config: MasterConfig,
): Watch | undefined {
  if (!env.WATCH_QUEUE_URL) return undefined;
  const periodMs = watchPeriodMs(config.workerTimeoutSec * 1000, config.appTimeoutMs);
  return { table, sqs, queueUrl: env.WATCH_QUEUE_URL, periodMs };
}

export async function apiDepsFromEnv(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiDeps> {
  const { table, sqs, props, metrics } = clusterFromEnv(env);
  const master = masterConfig(props);
  const watch = watchFromEnv(env, table, sqs, master);
  return {
    table,
    sqs,
    nudge: nudgerFromEnv(env, sqs),
    master,
    worker: workerConfig(props),
    auth: await authFromEnv(env, props),
    placeholder: placeholdersFrom(env.SPARKPLANE_PLACEHOLDERS ?? '', env),
    driverTemplates: driverTemplatesFromEnv(env),
    now: Date.now,
    logger: new Logger({ serviceName: service }),
    metrics,
    ...(watch ? { watch } : {}),
    ...(env.LOG_BUCKET
      ? { logs: openLogStore(env.LOG_BUCKET, env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}) }
      : {}),
  };
}

/**
 * The submissions function's dependencies for one event source. Stock spark-submit sends
 * no token, so with SPARKPLANE_LOAD_BALANCER_AUTH=network the internal load balancer
 * (reachable from the VPC only) is trusted as Spark's master trusts its network.
 */
export async function submissionsDepsFromEnv(
  source: EventSource,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiDeps> {
  const deps = await apiDepsFromEnv('sparkplane-submissions', env);
  const lbAuth = env.SPARKPLANE_LOAD_BALANCER_AUTH ?? 'jws';
  if (lbAuth !== 'jws' && lbAuth !== 'network') {
    throw new ConfigError(`SPARKPLANE_LOAD_BALANCER_AUTH must be jws or network, not ${lbAuth}`);
  }
  const trusted = source === 'loadBalancer' && lbAuth === 'network';
  return trusted ? { ...deps, auth: trustNetwork(deps.auth) } : deps;
}

/**
 * After a change is stored: workers are told what to kill, and the scheduler is nudged
 * when the core asked for a pass. Pushing is an accelerator (heartbeats converge), so a
 * worker that cannot be reached is logged, not an error.
 */
export async function performEffects(deps: ApiDeps, effects: readonly Effect[], reason: string) {
  const pushed = await pushCommands(deps.sqs, killCommands(effects));
  if (pushed.unreached.length > 0) {
    deps.logger.warn('workers not reached; they converge by heartbeat', {
      workers: pushed.unreached,
    });
  }
  if (effects.some((e) => e.type === 'Schedule')) await nudgeSafely(deps, reason);
}

/**
 * A nudge after a change that is already stored: if SQS refuses it, the change stands and
 * the answer is still a success; the cleanup tick nudges within a minute while anything
 * waits, so nothing is lost.
 */
export async function nudgeSafely(deps: ApiDeps, reason: string): Promise<void> {
  try {
    await deps.nudge(reason);
  } catch (error) {
    deps.logger.error('the scheduler could not be nudged; cleanup will', { error: error as Error });
  }
}

/** Something new to watch: the timeout checks' timer runs (the minute's cleanup retries). */
export async function watchSafely(deps: ApiDeps): Promise<void> {
  if (!deps.watch) return;
  try {
    await startWatch(deps.watch, deps.now());
  } catch (error) {
    deps.logger.error('the watch could not be started; cleanup will', { error: error as Error });
  }
}
