// Application routes (PROTOCOL.md §3, spec §e): a driver registers its application, reads
// its executors, changes its executor target, kills executors, and unregisters.

import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import { z } from 'zod';
import type { MasterConfig } from '../core/config.js';
import { applicationId } from '../core/ids.js';
import {
  type ExecutorRequest,
  finishApplication,
  killExecutors,
  registerApplication,
  requestExecutors,
} from '../core/lifecycle.js';
import {
  type Application,
  type ApplicationDescription,
  DEFAULT_RESOURCE_PROFILE_ID,
  type Executor,
  INT_MAX,
  isApplicationActive,
  isDriverActive,
  requestedCores,
} from '../core/model.js';
import { reportSession, type SessionReport } from '../core/session.js';
import { applicationUsage } from '../core/usage.js';
import { readApplication, renewApplicationLease } from '../store/applications.js';
import { applyEvent } from '../store/apply.js';
import { loadActiveCluster } from '../store/cluster.js';
import { reserveNumbers } from '../store/counters.js';
import { readDriver, updateSession } from '../store/drivers.js';
import { PK } from '../store/layout.js';
import { getItems, loadScope } from '../store/scope.js';
import { type ApiDeps, performEffects, watchSafely } from './deps.js';
import { requestingDriver, requireCredential } from './guards.js';
import {
  ApiError,
  id,
  json,
  jsonBody,
  jsonRouter,
  KiB,
  key,
  lambdaHandler,
  pathParam,
  resourceName,
  text,
} from './http.js';

const positive = z.number().int().min(1).max(INT_MAX);
const count = z.number().int().min(0).max(INT_MAX);
const resources = z
  .record(resourceName, positive)
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 resource names');
const args = (max: number) => z.array(text(8 * KiB)).max(max);
// A Java class name: it follows the java options, so it must never read as one.
/** What Spark's StandaloneSchedulerBackend starts on workers. */
const EXECUTOR_BACKEND = 'org.apache.spark.executor.CoarseGrainedExecutorBackend';

const javaClass = z
  .string()
  .regex(/^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$/u, 'must be a Java class name')
  .max(1024);

const registration = z.object({
  name: text(1024),
  user: text(256).default(''),
  driverId: id.optional(),
  maxCores: positive.optional(),
  initialExecutorLimit: count.optional(),
  executor: z.object({
    cores: positive.optional(),
    memoryMb: count,
    resources: resources.default({}),
  }),
  command: z
    .object({
      argv: args(1024).min(1).optional(),
      // Spark's deploy.Command: the worker builds the java command line (PROTOCOL.md §3).
      java: z
        .object({
          mainClass: javaClass,
          arguments: args(1024).default([]),
          javaOpts: args(1024).default([]),
          classPathEntries: args(1024).default([]),
          libraryPathEntries: args(1024).default([]),
        })
        .optional(),
      env: z
        .record(key(text(256).min(1)), text(8 * KiB))
        .refine((e) => Object.keys(e).length <= 256, 'at most 256 variables')
        .default({}),
    })
    .refine((c) => (c.argv === undefined) !== (c.java === undefined), {
      message: 'needs exactly one of argv (a program) and java (a JVM main class)',
      path: ['argv'],
    })
    // Executors run what drivers run: Spark's executor backend on the worker's Java, or a
    // script on the worker's Node.js (the Node driver template's program), never a program
    // the caller names nor an option where the script goes.
    .refine((c) => c.java === undefined || c.java.mainClass === EXECUTOR_BACKEND, {
      message: `must be ${EXECUTOR_BACKEND}`,
      path: ['java', 'mainClass'],
    })
    .refine((c) => c.argv === undefined || c.argv[0] === '{{NODE}}', {
      message: "must be {{NODE}}, the worker's Node.js",
      path: ['argv', 0],
    })
    .refine(
      (c) => c.argv === undefined || (c.argv[1] !== undefined && !c.argv[1].startsWith('-')),
      {
        message: 'must be the script to run, not an option',
        path: ['argv', 1],
      },
    ),
});

/** RequestExecutors: a total for the default profile, or totals per resource profile. */
const executorRequest = z
  .object({
    total: count.optional(),
    profiles: z
      .array(
        z.object({
          resourceProfileId: count,
          total: count,
          executor: z
            .object({
              cores: positive.optional(),
              memoryMb: count.optional(),
              resources: resources.optional(),
            })
            .default({}),
        }),
      )
      .min(1)
      .max(64)
      .refine(
        (p) => new Set(p.map((x) => x.resourceProfileId)).size === p.length,
        'names each resourceProfileId once',
      )
      .optional(),
  })
  .refine((r) => (r.total === undefined) !== (r.profiles === undefined), {
    message: 'needs exactly one of total and profiles',
    path: ['total'],
  });

/** A poll's body: a session's driver says whether its Connect server listens and works. */
const heartbeat = z.object({
  session: z
    .object({ port: z.number().int().min(1).max(65_535).optional(), busy: z.boolean() })
    .optional(),
});

/** Every executor the application ever had, as PROTOCOL.md shows it. */
function view(
  app: Application,
  executors: readonly Executor[],
  master: Pick<MasterConfig, 'defaultCores' | 'usagePrices'>,
  now: number,
) {
  return {
    id: app.id,
    name: app.description.name,
    user: app.description.user,
    state: app.state,
    submitTimeMs: app.submitTimeMs,
    ...(app.endTimeMs === undefined ? {} : { endTimeMs: app.endTimeMs }),
    coresGranted: app.coresGranted,
    coresRequested: requestedCores(app, master.defaultCores),
    executorLimit: Object.values(app.executorTargets).reduce((a, b) => Math.min(INT_MAX, a + b), 0),
    retryCount: app.retryCount,
    executors: executors.map((e) => ({
      executorId: e.id,
      workerId: e.workerId,
      hostPort: e.workerHostPort,
      resourceProfileId: e.resourceProfileId,
      cores: e.cores,
      memoryMb: e.memoryMb,
      resources: e.resources,
      state: e.state,
      ...(e.exitStatus === undefined ? {} : { exitStatus: e.exitStatus }),
      ...(e.message === undefined ? {} : { message: e.message }),
    })),
    ...(app.warning === undefined ? {} : { warning: app.warning }),
    usage: applicationUsage(app, executors, now, master.usagePrices),
  };
}

const unknown = (appId: string) =>
  new ApiError(404, 'unknown_application', `Application ${appId} is not active or does not exist`);

export function applicationsHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'submission', { drivers: true }));
  const options = () => ({ now: deps.now(), config: deps.master });

  /**
   * A driver's token reaches only the applications that driver registered, and only while
   * the driver is active: one read of both records (the submission token reaches all).
   */
  const mayUse = async (reqCtx: RequestContext, appId?: string): Promise<string | undefined> => {
    const driver = requestingDriver(reqCtx);
    if (driver === undefined) return undefined;
    const items = await getItems(deps.table, [
      { pk: PK.driver, sk: driver },
      ...(appId === undefined
        ? []
        : [
            { pk: PK.application, sk: appId },
            { pk: PK.completedApplication, sk: appId },
          ]),
    ]);
    const active = items.some((i) => i.pk === PK.driver);
    const app = items.find((i) => i.pk !== PK.driver) as Application | undefined;
    if (!active || (appId !== undefined && app?.description?.driverAddress !== driver)) {
      throw new ApiError(
        403,
        'forbidden',
        appId === undefined
          ? `Driver ${driver} is not active: its token no longer works`
          : `The token of driver ${driver} does not reach application ${appId}`,
      );
    }
    return driver;
  };
  const scoped = (appId: string) => () => loadScope(deps.table, { applications: [appId] });

  on('POST', '/v1/applications', async (reqCtx) => {
    const body = await jsonBody(reqCtx, registration, 256 * KiB);
    const driver = await mayUse(reqCtx);
    if (driver !== undefined && body.driverId !== undefined && body.driverId !== driver) {
      throw new ApiError(
        403,
        'forbidden',
        `The token of driver ${driver} cannot register an application of ${body.driverId}`,
      );
    }
    const driverId = driver ?? body.driverId;
    const now = deps.now();
    const seq = await reserveNumbers(deps.table, 'app');
    const appId = applicationId(deps.master.appIdPattern, now, seq, deps.master.appNumberModulo);
    const description: ApplicationDescription = {
      name: body.name,
      user: body.user,
      ...(body.maxCores === undefined ? {} : { maxCores: body.maxCores }),
      ...(body.initialExecutorLimit === undefined
        ? {}
        : { initialExecutorLimit: body.initialExecutorLimit }),
      defaultProfile: {
        ...(body.executor.cores === undefined ? {} : { coresPerExecutor: body.executor.cores }),
        memoryMb: body.executor.memoryMb,
        resources: body.executor.resources,
      },
      command: body.command.java
        ? { java: body.command.java, env: body.command.env }
        : { argv: body.command.argv ?? [], env: body.command.env },
      ...(driverId === undefined ? {} : { driverAddress: driverId }),
    };
    const applied = await applyEvent(
      deps.table,
      () => loadActiveCluster(deps.table),
      (cluster) => registerApplication(cluster, { id: appId, seq }, description, now),
      options(),
    );
    await performEffects(deps, applied.effects, `application ${appId} registered`);
    await watchSafely(deps);
    return json(200, { appId });
  });

  on('GET', '/v1/applications/:appId', async (reqCtx) => {
    const appId = pathParam(reqCtx, 'appId', id);
    await mayUse(reqCtx, appId);
    const found = await readApplication(deps.table, appId);
    if (!found) {
      throw new ApiError(404, 'unknown_application', `Application ${appId} does not exist`);
    }
    return json(200, view(found.application, found.executors, deps.master, deps.now()));
  });

  // The driver's poll: the application as GET shows it, and its liveness lease renewed. A
  // renewal is one small write, at most every third of the timeout, not one per poll. A
  // session's driver reports its Connect server and hears whether to stop it.
  on('POST', '/v1/applications/:appId/heartbeat', async (reqCtx) => {
    const appId = pathParam(reqCtx, 'appId', id);
    await mayUse(reqCtx, appId);
    const { session } = await jsonBody(reqCtx, heartbeat, 4 * KiB);
    const found = await readApplication(deps.table, appId);
    if (!found) {
      throw new ApiError(404, 'unknown_application', `Application ${appId} does not exist`);
    }
    const app = found.application;
    const now = deps.now();
    const renewed = app.leaseRenewedMs ?? app.submitTimeMs;
    if (isApplicationActive(app.state) && now - renewed >= deps.master.appTimeoutMs / 3) {
      await renewApplicationLease(deps.table, appId, now);
    }
    const stop = session && (await reportedSession(app, session, now));
    return json(200, {
      ...view(app, found.executors, deps.master, now),
      ...(stop === undefined ? {} : { session: stop }),
    });
  });

  /** Stores what changed in a session's report; whether its server is to stop, and why. */
  async function reportedSession(
    app: Application,
    report: SessionReport,
    now: number,
  ): Promise<{ stop: boolean; reason?: string } | undefined> {
    const driverId = app.description.driverAddress;
    const driver = driverId === undefined ? undefined : await readDriver(deps.table, driverId);
    if (!driver?.session || !isDriverActive(driver.state)) return undefined;
    const next = reportSession(driver.session, report, now);
    if (next) await updateSession(deps.table, driver.id, next);
    const session = next ?? driver.session;
    return session.stopReason === undefined
      ? { stop: false }
      : { stop: true, reason: session.stopReason };
  }

  on('POST', '/v1/applications/:appId/executors', async (reqCtx) => {
    const appId = pathParam(reqCtx, 'appId', id);
    await mayUse(reqCtx, appId);
    const body = await jsonBody(reqCtx, executorRequest, 16 * KiB);
    const requests: ExecutorRequest[] = body.profiles?.map((p) => ({
      resourceProfileId: p.resourceProfileId,
      total: p.total,
      executor: {
        ...(p.executor.cores === undefined ? {} : { coresPerExecutor: p.executor.cores }),
        ...(p.executor.memoryMb === undefined ? {} : { memoryMb: p.executor.memoryMb }),
        ...(p.executor.resources === undefined ? {} : { resources: p.executor.resources }),
      },
    })) ?? [{ resourceProfileId: DEFAULT_RESOURCE_PROFILE_ID, total: body.total ?? 0 }];
    const total = requests.reduce((a, r) => Math.min(INT_MAX, a + r.total), 0);
    const applied = await applyEvent(
      deps.table,
      scoped(appId),
      (cluster) => requestExecutors(cluster, appId, requests),
      options(),
    );
    if (!applied.decision.known) throw unknown(appId);
    await performEffects(deps, applied.effects, `application ${appId} wants ${total} executors`);
    return json(200, { appId, total });
  });

  on('POST', '/v1/applications/:appId/executors/kill', async (reqCtx) => {
    const appId = pathParam(reqCtx, 'appId', id);
    await mayUse(reqCtx, appId);
    const { executorIds } = await jsonBody(
      reqCtx,
      // At most 50 transactions of 20: a request that always ends well within its timeout.
      z.object({ executorIds: z.array(text(64)).max(1000) }),
      256 * KiB,
    );
    // A chunk of ids per transaction: each kill frees capacity on some worker.
    const chunk = 20;
    for (let i = 0; i === 0 || i < executorIds.length; i += chunk) {
      const ids = executorIds.slice(i, i + chunk);
      const applied = await applyEvent(
        deps.table,
        scoped(appId),
        (cluster, _budget, ctx) => killExecutors(cluster, appId, ids, ctx.now),
        options(),
      );
      if (!applied.decision.known) throw unknown(appId);
      await performEffects(deps, applied.effects, `executors of ${appId} killed`);
    }
    return json(200, { appId, executorIds });
  });

  const finish =
    (state: 'FINISHED' | 'KILLED') => async (reqCtx: Parameters<Parameters<typeof on>[2]>[0]) => {
      const appId = pathParam(reqCtx, 'appId', id);
      await mayUse(reqCtx, appId);
      const applied = await applyEvent(
        deps.table,
        scoped(appId),
        (cluster, budget) => finishApplication(cluster, appId, state, deps.now(), budget),
        options(),
      );
      if (!applied.decision.known) throw unknown(appId);
      await performEffects(deps, applied.effects, `application ${appId} ${state}`);
      return json(200, { appId, state });
    };
  on('POST', '/v1/applications/:appId/kill', finish('KILLED'));
  on('DELETE', '/v1/applications/:appId', finish('FINISHED'));

  return lambdaHandler(router, deps.metrics);
}
