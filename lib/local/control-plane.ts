// The control plane on one machine, as the AWS stack wires it: the state table, the
// scheduler's FIFO nudge queue, every HTTP route behind the local gateway, and a poller
// that feeds the nudges to the scheduler function the way Lambda's event source mapping
// does. The emulators (or LocalStack, or AWS) are given by their endpoints.

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { handleWatchMessages, runCleanup, workerTaskStopped } from '../../functions/cleanup.js';
import { schedulerHandler } from '../../functions/scheduler.js';
import { type AuthConfig, credentialOf, isLoopback } from '../api/auth.js';
import { type ApiDeps, placeholdersFrom } from '../api/deps.js';
import { apiRoutes } from '../api/routes.js';
import { countedEvents, fileSink } from '../cloud/events.js';
import { ensureLogBucket, openLogStore } from '../cloud/log-store.js';
import { prometheusSink } from '../cloud/metrics.js';
import { nudger } from '../cloud/nudge.js';
import { type Watch, watchPeriodMs } from '../cloud/watch.js';
import type { PoolDeps } from '../cloud/worker-pool.js';
import { type MasterConfig, masterConfig, workerConfig } from '../core/config.js';
import { DEFAULT_DRIVER_TEMPLATES, type DriverTemplate } from '../core/driver-command.js';
import { ensureTable, openTable, type Table } from '../store/table.js';
import { type Gateway, startGateway } from './gateway.js';
import { pollNudges, pollQueue } from './sqs-poller.js';

export interface ControlPlaneOptions {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** Region and credentials for the endpoints (the emulators accept any). */
  readonly aws?: { region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  readonly tableName?: string;
  readonly host?: string;
  readonly port?: number;
  readonly auth: AuthConfig;
  /** Spark properties of the master (`spark.deploy.*`, `spark.worker.timeout`). */
  readonly sparkProperties?: Readonly<Record<string, string>>;
  /** Environment variables submissions may read through `{{NAME}}` placeholders. */
  readonly placeholders?: string;
  readonly driverTemplates?: readonly DriverTemplate[];
  /** Run the scheduler on the nudges (tests that check the API alone turn it off). */
  readonly scheduler?: boolean;
  /**
   * Run cleanup this often, as EventBridge does every minute in AWS; the default is Spark's
   * check interval, spark.worker.timeout, at most a minute. 0 turns it off.
   */
  readonly cleanupEveryMs?: number;
  /**
   * The elastic pool, as the AWS stack runs it with ECS: workers started for what waits and
   * stopped when idle. Given the gateway's URL (the workers' master), once it listens.
   */
  readonly pool?: (url: string) => Pick<PoolDeps, 'launcher' | 'settings' | 'registrationGraceMs'>;
  /** The web UI page (lib/ui/page.ts) served at `/`. */
  readonly uiPage?: string;
  readonly now?: () => number;
  /** Where state-change events are appended, one JSON line each (default: the temp dir). */
  readonly eventsFile?: string;
}

export interface ControlPlane {
  readonly url: string;
  readonly deps: ApiDeps;
  /** The state-change events so far, one JSON line each (EventBridge's envelope). */
  readonly eventsFile: string;
  readonly nudgeQueueUrl: string;
  /** What ran a worker stopped (a local agent's exit): its worker is lost at once. */
  instanceStopped(instanceId: string, reason: string): Promise<void>;
  close(): Promise<void>;
}

/** The cleanup period: Spark's check interval, spark.worker.timeout, at most a minute. */
const cleanupEveryMs = (options: ControlPlaneOptions, master: MasterConfig): number =>
  options.cleanupEveryMs ?? Math.min(60, master.workerTimeoutSec) * 1000;

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const host = options.host ?? '127.0.0.1';
  if (options.auth.mode === 'off' && !isLoopback(host)) {
    throw new Error(`Authentication is off: the gateway may only listen on loopback, not ${host}`);
  }
  const aws = options.aws ?? {};
  const logger = new Logger({ serviceName: 'sparkplane-local', logLevel: 'WARN' });
  const tableName = options.tableName ?? 'sparkplane';
  const eventsFile = options.eventsFile ?? join(tmpdir(), `${tableName}-events.jsonl`);
  // One process runs every function: the Prometheus route shows what they all counted.
  const metrics = prometheusSink();
  const table: Table = {
    ...openTable(tableName, { ...aws, endpoint: options.dynamodbEndpoint }),
    // The local sink of the same adapter EventBridge is in AWS.
    events: countedEvents(
      fileSink(eventsFile, (error) =>
        logger.error('events not published; cleanup publishes them', { error: error as Error }),
      ),
      metrics,
    ),
  };
  await ensureTable(table);
  const sqs = new SQSClient({ ...aws, endpoint: options.sqsEndpoint });
  const { QueueUrl: nudgeQueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${table.name}-nudges.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
    }),
  );
  if (!nudgeQueueUrl) throw new Error('the nudge queue has no URL');
  const { QueueUrl: watchQueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${table.name}-watch` }),
  );
  if (!watchQueueUrl) throw new Error('the watch queue has no URL');
  // fauxqs's S3, on the same endpoint as its SQS. Bucket names are lower case.
  const logs = openLogStore(`${table.name.toLowerCase()}-logs`, {
    ...aws,
    endpoint: options.sqsEndpoint,
  });
  await ensureLogBucket(logs);
  const props = options.sparkProperties ?? {};
  const master = masterConfig(props);
  const watch: Watch = {
    table,
    sqs,
    queueUrl: watchQueueUrl,
    periodMs: watchPeriodMs(master.workerTimeoutSec * 1000, master.appTimeoutMs),
  };
  const deps: ApiDeps = {
    table,
    sqs,
    nudge: nudger(sqs, nudgeQueueUrl),
    master,
    worker: workerConfig(props),
    auth: options.auth,
    placeholder: placeholdersFrom(options.placeholders ?? '', process.env),
    driverTemplates: options.driverTemplates ?? DEFAULT_DRIVER_TEMPLATES,
    now: options.now ?? Date.now,
    logger,
    metrics,
    ...(options.uiPage === undefined ? {} : { uiPage: options.uiPage }),
    ...(cleanupEveryMs(options, master) > 0 ? { watch } : {}),
    logs,
  };
  const gateway: Gateway = await startGateway({
    routes: apiRoutes(deps),
    host,
    loopbackOnly: options.auth.mode === 'off',
    ...(options.auth.mode === 'jws'
      ? { admitsBody: async (h) => (await credentialOf(h, options.auth)) !== undefined }
      : {}),
    ...(options.port === undefined ? {} : { port: options.port }),
  });

  const pool: PoolDeps | undefined = options.pool && {
    ...options.pool(gateway.url),
    table,
    config: deps.master,
    now: deps.now,
    logger: deps.logger,
  };
  let running = options.scheduler ?? true;
  const scheduler = schedulerHandler(() => ({
    table,
    sqs,
    config: deps.master,
    leaseMs: 10_000,
    auth: deps.auth,
    driverTemplates: deps.driverTemplates,
    metrics: deps.metrics,
    ...(pool ? { pool } : {}),
  }));
  const loop = pollNudges(
    sqs,
    nudgeQueueUrl,
    scheduler,
    () => running,
    (error) => deps.logger.warn('nudge poll failed', { error }),
  );

  const every = cleanupEveryMs(options, master);
  let open = true;
  const cleanupDeps = { ...deps, config: deps.master, leaseMs: 30_000, ...(pool ? { pool } : {}) };
  let cleaning: Promise<unknown> = Promise.resolve();
  const cleanupTimer =
    every > 0
      ? setInterval(() => {
          cleaning = runCleanup(cleanupDeps, `local-${randomUUID()}`).catch((error: Error) =>
            deps.logger.warn('cleanup failed', { error }),
          );
        }, every)
      : undefined;
  // The watch's queue, as Lambda's event source mapping feeds it to the cleanup function.
  const watching =
    every > 0
      ? pollQueue(
          sqs,
          watchQueueUrl,
          (event, context) => handleWatchMessages(cleanupDeps, event, context.awsRequestId),
          () => open,
          (error) => deps.logger.warn('watch poll failed', { error }),
        )
      : Promise.resolve();

  return {
    url: gateway.url,
    deps,
    nudgeQueueUrl,
    eventsFile,
    async instanceStopped(instanceId, reason) {
      if (!open) return;
      await workerTaskStopped(cleanupDeps, instanceId, reason).catch((error: Error) =>
        deps.logger.warn('a stopped worker could not be marked lost', { error }),
      );
    },
    async close() {
      running = false;
      open = false;
      clearInterval(cleanupTimer);
      await Promise.all([gateway.close(), loop, watching, cleaning]);
    },
  };
}
