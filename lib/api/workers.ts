// Worker routes (PROTOCOL.md §2, spec §d): RegisterWorker, Heartbeat with the desired
// state, ExecutorStateChanged, DriverStateChanged, WorkerDecommissioning.

import { z } from 'zod';
import { dropChunks, endStream, writeChunk } from '../cloud/log-store.js';
import { ensureWorkerQueue, receiveCommands, UnknownWorkerQueue } from '../cloud/worker-queues.js';
import { workerId as formatWorkerId } from '../core/ids.js';
import {
  decommissionWorker,
  type ReportOutcome,
  registerWorker,
  type WorkerReport,
  workerLost,
  workerReports,
} from '../core/lifecycle.js';
import { LOG_STREAMS, MAX_CHUNK_BYTES, ownerName } from '../core/logs.js';
import { type Application, type Driver, isExecutorLive } from '../core/model.js';
import { PropertyError } from '../core/properties.js';
import {
  type KillDriver,
  type KillExecutor,
  type LaunchDriver,
  type LaunchExecutor,
  launchDriver,
  launchExecutor,
} from '../protocol/commands.js';
import { applyEvent } from '../store/apply.js';
import { TransitionTooLarge } from '../store/commit-transition.js';
import { type Assignment, assignmentKey, PK, recordFromItem } from '../store/layout.js';
import { acknowledgeLaunch } from '../store/pool.js';
import { getItems, loadRegistration, loadScope } from '../store/scope.js';
import { recordHeartbeat } from '../store/workers.js';
import {
  validLogToken,
  WORKER_CREDENTIAL_TTL_SEC,
  withLogToken,
  withTokens,
  workerCredential,
} from './auth.js';
import { type ApiDeps, performEffects, watchSafely } from './deps.js';
import { credentialExpiresSec, requireCredential } from './guards.js';
import {
  ApiError,
  id,
  json,
  jsonBody,
  jsonRouter,
  KiB,
  lambdaHandler,
  pathParam,
  resourceName,
  text,
} from './http.js';

const count = (max: number) => z.number().int().min(0).max(max);

const registration = z.object({
  host: z.string().regex(/^[A-Za-z0-9_.:-]{1,253}$/, 'must be a host name or an IP address'),
  port: z.number().int().min(1).max(65_535),
  cores: count(1_000_000).min(1),
  memoryMb: count(2_147_483_647),
  resources: z
    .record(resourceName, z.array(text(64).min(1)).max(1024))
    .refine((r) => Object.keys(r).length <= 32, 'at most 32 resource names')
    .default({}),
  webUiUrl: text(2048).default(''),
  workerId: id.optional(),
  /** What runs the worker (its ECS task ARN): how the pool stops it and sees it gone. */
  instanceId: text(2048).min(1).optional(),
  /** The pool's launch that started it, so it no longer counts as pending. */
  launchToken: id.optional(),
});

const executorState = z.enum(['LAUNCHING', 'RUNNING', 'KILLED', 'FAILED', 'LOST', 'EXITED']);
const heartbeat = z.object({
  executors: z
    .array(z.object({ appId: id, executorId: count(2_147_483_647), state: executorState }))
    .max(10_000)
    .default([]),
  drivers: z
    .array(
      z.object({
        driverId: id,
        state: z.enum(['SUBMITTED', 'RUNNING', 'FINISHED', 'KILLED', 'FAILED', 'ERROR']),
      }),
    )
    .max(10_000)
    .default([]),
});

const executorReport = z.object({
  state: z.enum(['RUNNING', 'KILLED', 'FAILED', 'LOST', 'EXITED']),
  message: text(16 * KiB).optional(),
  exitStatus: z.number().int().min(-2_147_483_648).max(2_147_483_647).optional(),
});

const driverReport = z.object({
  state: z.enum(['FINISHED', 'KILLED', 'FAILED', 'ERROR']),
  exception: text(64 * KiB).optional(),
});

const stateReports = z.object({
  reports: z
    .array(
      z.discriminatedUnion('kind', [
        executorReport.extend({
          kind: z.literal('executor'),
          appId: id,
          executorId: count(2_147_483_647),
        }),
        driverReport.extend({ kind: z.literal('driver'), driverId: id }),
      ]),
    )
    .max(1000),
});

/** Each report writes at most a few items; a transaction holds at most 100. */
const REPORTS_PER_TRANSACTION = 25;

const executorIdParam = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,9})$/, 'must be a non-negative integer')
  .transform(Number)
  .refine((n) => n <= 2_147_483_647, 'must fit in an int');

/** The heartbeat answer: what to launch and kill so the worker runs its desired state. */
/** Base64 of MAX_CHUNK_BYTES; a body Lambda's 6 MB request payload takes (the agent's 3 MiB). */
const MAX_CHUNK_BASE64 = Math.ceil(MAX_CHUNK_BYTES / 3) * 4;
const MAX_SHIPPED_BODY = 5 * 1024 * 1024;
const offset = z
  .number()
  .int()
  .min(0)
  .max(2 ** 50);
const logOwner = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('driver'), driverId: id }),
  z.object({ kind: z.literal('executor'), appId: id, executorId: count(2_147_483_647) }),
]);
const shippedLogs = z.object({
  streams: z
    .array(
      z.object({
        owner: logOwner,
        stream: z.enum(LOG_STREAMS),
        logToken: text(128).optional(),
        chunks: z
          .array(
            z.object({
              offset,
              data: z
                .base64()
                .max(MAX_CHUNK_BASE64)
                .transform((b) => Buffer.from(b, 'base64')),
            }),
          )
          .max(64)
          .default([]),
        drop: z.array(offset).max(10_000).default([]),
        end: offset.optional(),
      }),
    )
    .min(1)
    .max(200),
});

export interface DesiredState {
  readonly reconnect: false;
  readonly generation: number;
  readonly launchExecutors: LaunchExecutor[];
  readonly launchDrivers: LaunchDriver[];
  readonly killExecutors: KillExecutor[];
  readonly killDrivers: KillDriver[];
}

/**
 * Launch what the worker does not know of (whatever state it reports, it knows of it);
 * kill what it runs that is not assigned to it. Launch commands need the application's
 * executor command and the driver's description: one more read, only when something is
 * missing.
 */
async function desiredState(
  deps: ApiDeps,
  generation: number,
  assigned: readonly Assignment[],
  reported: z.infer<typeof heartbeat>,
): Promise<DesiredState> {
  const known = new Set([
    ...reported.executors.map((e) => `executor ${e.appId}/${e.executorId}`),
    ...reported.drivers.map((d) => `driver ${d.driverId}`),
  ]);
  const wanted = new Set(assigned.map(assignmentKey));
  const missing = assigned.filter((a) => !known.has(assignmentKey(a)));
  const records =
    missing.length === 0
      ? []
      : await getItems(
          deps.table,
          missing.map((a) =>
            a.kind === 'executor'
              ? { pk: PK.application, sk: a.appId ?? '' }
              : { pk: PK.driver, sk: a.driverId ?? '' },
          ),
        );
  const apps = new Map<string, Application>();
  const drivers = new Map<string, Driver>();
  for (const item of records) {
    if (item.pk === PK.application) {
      const app = recordFromItem<Application>(item).record;
      apps.set(app.id, app);
    } else {
      const driver = recordFromItem<Driver>(item).record;
      drivers.set(driver.id, driver);
    }
  }
  const launchExecutors: LaunchExecutor[] = [];
  const launchDrivers: LaunchDriver[] = [];
  for (const a of missing) {
    const app = a.kind === 'executor' ? apps.get(a.appId ?? '') : undefined;
    const driver = a.kind === 'driver' ? drivers.get(a.driverId ?? '') : undefined;
    if (app) {
      launchExecutors.push(
        withLogToken(
          deps.auth,
          launchExecutor(app, {
            executorId: a.executorId ?? 0,
            resourceProfileId: a.resourceProfileId ?? 0,
            cores: a.cores,
            memoryMb: a.memoryMb,
            resources: a.resources,
          }),
        ),
      );
    }
    if (driver) {
      launchDrivers.push(
        await withTokens(deps.auth, launchDriver(driver, a, deps.driverTemplates)),
      );
    }
  }
  return {
    reconnect: false,
    generation,
    launchExecutors,
    launchDrivers,
    killExecutors: reported.executors
      .filter((e) => isExecutorLive(e.state) && !wanted.has(`executor ${e.appId}/${e.executorId}`))
      .map((e) => ({ type: 'KillExecutor', appId: e.appId, executorId: e.executorId })),
    killDrivers: reported.drivers
      .filter(
        (d) =>
          (d.state === 'RUNNING' || d.state === 'SUBMITTED') && !wanted.has(`driver ${d.driverId}`),
      )
      .map((d) => ({ type: 'KillDriver', driverId: d.driverId })),
  };
}

export function workersHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'worker'));
  const options = () => ({ now: deps.now(), config: deps.master });

  on('POST', '/v1/workers', async (reqCtx) => {
    const body = await jsonBody(reqCtx, registration, 64 * KiB);
    const now = deps.now();
    let workerId: string;
    try {
      workerId = body.workerId ?? formatWorkerId(deps.worker.idPattern, now, body.host, body.port);
    } catch (e) {
      if (e instanceof PropertyError) throw new ApiError(400, 'invalid_body', e.message);
      throw e;
    }
    const { launchToken, ...fields } = body;
    const reg = { ...fields, id: workerId };
    const applied = await applyEvent(
      deps.table,
      () => loadRegistration(deps.table, workerId, `${body.host}:${body.port}`),
      (cluster, _budget, ctx) => registerWorker(cluster, reg, ctx),
      options(),
    );
    const { outcome } = applied.decision;
    if (outcome.kind === 'failed') throw new ApiError(409, 'address_in_use', outcome.message);
    if (launchToken && outcome.kind === 'registered')
      await acknowledgeLaunch(deps.table, launchToken);
    await ensureWorkerQueue(deps.sqs, workerId);
    await performEffects(deps, applied.effects, `worker ${workerId} registered`);
    await watchSafely(deps);
    const credential = await workerCredential(deps.auth, workerId);
    return json(200, {
      workerId,
      duplicate: outcome.kind === 'duplicate',
      heartbeatIntervalMs: Math.floor((deps.master.workerTimeoutSec * 1000) / 4),
      workerTimeoutMs: deps.master.workerTimeoutSec * 1000,
      ...(credential === undefined ? {} : { credential }),
    });
  });

  on('POST', '/v1/workers/:workerId/heartbeat', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const body = await jsonBody(reqCtx, heartbeat, 4096 * KiB);
    const stored = await recordHeartbeat(deps.table, workerId, deps.now());
    if (!stored) return json(200, { reconnect: true });
    const desired = await desiredState(deps, stored.generation, stored.assigned, body);
    // A credential past half its life is renewed with the answer.
    const expires = credentialExpiresSec(reqCtx);
    const renew =
      expires !== undefined && expires * 1000 - deps.now() < (WORKER_CREDENTIAL_TTL_SEC * 1000) / 2;
    const credential = renew ? await workerCredential(deps.auth, workerId) : undefined;
    return json(200, credential === undefined ? desired : { ...desired, credential });
  });

  /**
   * ExecutorStateChanged and DriverStateChanged, in order, a bounded number per transaction
   * (halved while one is too large); a report about what another worker runs is rejected.
   */
  const applyReports = async (
    workerId: string,
    reports: readonly WorkerReport[],
  ): Promise<ReportOutcome[]> => {
    if (reports.length === 0) return [];
    const scope = {
      applications: [...new Set(reports.flatMap((r) => (r.kind === 'executor' ? [r.appId] : [])))],
      drivers: [...new Set(reports.flatMap((r) => (r.kind === 'driver' ? [r.driverId] : [])))],
    };
    try {
      const applied = await applyEvent(
        deps.table,
        () => loadScope(deps.table, scope),
        (cluster, budget) =>
          workerReports(cluster, reports, deps.master, deps.now(), budget, workerId),
        options(),
      );
      await performEffects(deps, applied.effects, `${reports.length} state report(s)`);
      return applied.decision.outcomes;
    } catch (e) {
      if (!(e instanceof TransitionTooLarge) || reports.length === 1) throw e;
      const half = Math.ceil(reports.length / 2);
      return [
        ...(await applyReports(workerId, reports.slice(0, half))),
        ...(await applyReports(workerId, reports.slice(half))),
      ];
    }
  };
  const inChunks = async (
    workerId: string,
    reports: readonly WorkerReport[],
  ): Promise<ReportOutcome[]> => {
    const outcomes: ReportOutcome[] = [];
    for (let i = 0; i < reports.length; i += REPORTS_PER_TRANSACTION) {
      outcomes.push(
        ...(await applyReports(workerId, reports.slice(i, i + REPORTS_PER_TRANSACTION))),
      );
    }
    return outcomes;
  };

  // A worker's reports, batched: every change since its last batch, once each.
  on('POST', '/v1/workers/:workerId/states', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const { reports } = await jsonBody(reqCtx, stateReports, 1024 * KiB);
    return json(200, { outcomes: await inChunks(workerId, reports) });
  });

  // Logs shipped while their processes run (lib/worker/log-shipper.ts): each stream's new
  // chunks, the oldest ones it no longer keeps, and its end once whole.
  on('POST', '/v1/workers/:workerId/logs', async (reqCtx) => {
    pathParam(reqCtx, 'workerId', id);
    const store = deps.logs;
    if (!store) throw new ApiError(404, 'not_found', 'No log store is configured');
    const { streams } = await jsonBody(reqCtx, shippedLogs, MAX_SHIPPED_BODY);
    for (const s of streams) {
      if (!validLogToken(deps.auth, s.owner, s.logToken)) {
        throw new ApiError(403, 'wrong_log_token', `The logToken is not ${ownerName(s.owner)}'s`);
      }
    }
    await Promise.all(
      streams.map(async (s) => {
        // In order: a reader never sees a chunk before the one ahead of it, so a gap it
        // finds is only ever the bound's.
        for (const c of s.chunks) {
          await writeChunk(store, { owner: s.owner, stream: s.stream, ...c });
        }
        if (s.drop.length > 0) await dropChunks(store, s.owner, s.stream, s.drop);
        if (s.end !== undefined) await endStream(store, s.owner, s.stream, s.end);
      }),
    );
    return json(200, { streams: streams.length });
  });

  on('POST', '/v1/workers/:workerId/executors/:appId/:executorId/state', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const appId = pathParam(reqCtx, 'appId', id);
    const executorId = pathParam(reqCtx, 'executorId', executorIdParam);
    const body = await jsonBody(reqCtx, executorReport, 64 * KiB);
    const [outcome] = await inChunks(workerId, [{ kind: 'executor', appId, executorId, ...body }]);
    return json(200, { outcome });
  });

  on('POST', '/v1/workers/:workerId/drivers/:driverId/state', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const driverId = pathParam(reqCtx, 'driverId', id);
    const body = await jsonBody(reqCtx, driverReport, 128 * KiB);
    const [outcome] = await inChunks(workerId, [{ kind: 'driver', driverId, ...body }]);
    return json(200, { outcome });
  });

  on('POST', '/v1/workers/:workerId/decommission', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const applied = await applyEvent(
      deps.table,
      () => loadScope(deps.table, { workersWithAssigned: [workerId] }),
      (cluster, budget, ctx) => decommissionWorker(cluster, workerId, budget, ctx.now),
      options(),
    );
    const state = applied.cluster.workers[workerId]?.state;
    if (!state) throw new ApiError(404, 'unknown_worker', `Worker ${workerId} is not registered`);
    await performEffects(deps, applied.effects, `worker ${workerId} decommissioned`);
    return json(200, { workerId, state });
  });

  // Spark removes a worker whose connection closes ("<address> got disassociated"); an HTTP
  // worker says it is leaving, after it decommissioned and stopped its processes.
  on('POST', '/v1/workers/:workerId/disconnect', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const applied = await applyEvent(
      deps.table,
      () => loadScope(deps.table, { workersWithAssigned: [workerId] }),
      (cluster, budget, ctx) => {
        const w = cluster.workers[workerId];
        const reason = `${w?.host}:${w?.port} got disassociated`;
        return workerLost(cluster, workerId, reason, ctx, budget);
      },
      options(),
    );
    const state = applied.cluster.workers[workerId]?.state;
    if (!state) throw new ApiError(404, 'unknown_worker', `Worker ${workerId} is not registered`);
    await performEffects(deps, applied.effects, `worker ${workerId} disconnected`);
    return json(200, { workerId, state });
  });

  return lambdaHandler(router, deps.metrics);
}

const commandPoll = z.object({
  /** Receipts of the commands the worker acted on since its last poll. */
  acknowledge: z.array(z.string().min(1).max(2048)).max(100).default([]),
  /** How long to wait for a command; the HTTP API's limit is 30 s. */
  waitSec: z.number().int().min(0).max(20).default(20),
});

/**
 * The push channel's receiving end: a worker long-polls its own queue through here, with
 * its own credential, so it can read no other worker's commands (its own function in AWS,
 * with little memory, because it mostly waits).
 */
export function commandsHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'worker'));
  on('POST', '/v1/workers/:workerId/commands', async (reqCtx) => {
    const workerId = pathParam(reqCtx, 'workerId', id);
    const { acknowledge, waitSec } = await jsonBody(reqCtx, commandPoll, 256 * KiB);
    try {
      return json(200, {
        commands: await receiveCommands(deps.sqs, workerId, acknowledge, waitSec),
      });
    } catch (e) {
      if (!(e instanceof UnknownWorkerQueue)) throw e;
      throw new ApiError(404, 'unknown_worker', `Worker ${workerId} has no command queue`);
    }
  });
  return lambdaHandler(router, deps.metrics);
}
