// Spark Connect sessions (docs/protocol-additions.md, "Sessions"): create one, read it with
// its endpoint and token, list them, stop one. A session is a driver (lib/core/session.ts),
// so it is also in the REST status, `/json` and the UI.

import { z } from 'zod';
import { killDriver } from '../core/lifecycle.js';
import { type Driver, isDriverActive, isExecutorLive } from '../core/model.js';
import {
  type DriverSession,
  requestStop,
  type SessionState,
  sessionAddress,
  sessionPlan,
  sessionState,
  stopOverdue,
} from '../core/session.js';
import { driverDescription } from '../core/submission.js';
import { readApplication } from '../store/applications.js';
import { applyEvent } from '../store/apply.js';
import { queryPartition } from '../store/cluster.js';
import { createDriver, readDriver, updateSession } from '../store/drivers.js';
import { PK, recordFromItem } from '../store/layout.js';
import { loadScope } from '../store/scope.js';
import { knownSessionToken, sessionToken, tokenHash } from './auth.js';
import { type ApiDeps, nudgeSafely, performEffects } from './deps.js';
import { requireCredential } from './guards.js';
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
  text,
} from './http.js';

const MAX_IDLE_TIMEOUT_SEC = 7 * 24 * 3600;

const createRequest = z.strictObject({
  name: text(256).min(1).optional(),
  sparkProperties: z
    .record(key(text(256).min(1)), text(8 * KiB))
    .refine((p) => Object.keys(p).length <= 256, 'at most 256 properties')
    .optional(),
  idleTimeoutSec: z.number().int().min(1).max(MAX_IDLE_TIMEOUT_SEC).optional(),
});

type SessionDriver = Driver & { readonly session: DriverSession };
const isSession = (d: Driver | undefined): d is SessionDriver => d?.session !== undefined;

export function sessionsHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'submission'));

  const find = async (sessionId: string): Promise<SessionDriver> => {
    const driver = await readDriver(deps.table, sessionId);
    if (!isSession(driver)) {
      throw new ApiError(404, 'unknown_session', `Session ${sessionId} does not exist`);
    }
    return driver;
  };

  /** A session as its routes show it; the token only where the caller may see it. */
  async function view(driver: SessionDriver, withToken: boolean) {
    const state: SessionState = sessionState(driver);
    const { session } = driver;
    const app = driver.appId ? await readApplication(deps.table, driver.appId) : undefined;
    const executors = (app?.executors ?? []).filter((e) => isExecutorLive(e.state));
    const token = withToken
      ? knownSessionToken(deps.auth, driver.id, session.tokenHash)
      : undefined;
    const address = sessionAddress(driver);
    return {
      sessionId: driver.id,
      ...(session.name === undefined ? {} : { name: session.name }),
      state,
      driverState: driver.state,
      ...(driver.workerId === undefined ? {} : { workerId: driver.workerId }),
      ...(address === undefined ? {} : { url: address }),
      ...(address === undefined || token === undefined
        ? {}
        : { endpoint: endpoint(address, token) }),
      ...(token === undefined ? {} : { token }),
      ...(driver.appId === undefined ? {} : { appId: driver.appId }),
      idleTimeoutSec: session.idleTimeoutMs / 1000,
      ...(session.idleSinceMs === undefined || state !== 'READY'
        ? {}
        : { idleSinceMs: session.idleSinceMs }),
      ...(session.stopReason === undefined ? {} : { stopReason: session.stopReason }),
      coresInUse:
        (isDriverActive(driver.state) && driver.workerId !== undefined
          ? driver.description.cores
          : 0) + executors.reduce((n, e) => n + e.cores, 0),
      executors: executors.map((e) => ({
        executorId: e.id,
        workerId: e.workerId,
        cores: e.cores,
        memoryMb: e.memoryMb,
        state: e.state,
      })),
      submitTimeMs: driver.submitTimeMs,
      ...(driver.endTimeMs === undefined ? {} : { endTimeMs: driver.endTimeMs }),
      ...(driver.exception === undefined ? {} : { message: driver.exception }),
    };
  }

  on('POST', '/v1/sessions', async (reqCtx) => {
    const body = await jsonBody(reqCtx, createRequest, 256 * KiB);
    const plan = sessionPlan(body, deps.master.sessionIdleTimeoutMs);
    if (!plan.ok) throw new ApiError(400, 'invalid_body', `${plan.field}: ${plan.message}`);
    const built = driverDescription(plan.submission, { placeholder: deps.placeholder });
    if (!built.ok) throw new ApiError(400, 'invalid_body', `sparkProperties: ${built.message}`);
    const [sessionKey] = deps.auth.sessionKeys;
    if (!sessionKey) throw new Error('no key derives sessions’ tokens');
    const { driverId } = await createDriver(
      deps.table,
      deps.master,
      built.description,
      deps.now(),
      undefined,
      (driverId) => ({
        ...(plan.name === undefined ? {} : { name: plan.name }),
        idleTimeoutMs: plan.idleTimeoutMs,
        tokenHash: tokenHash(sessionToken(sessionKey, driverId)),
      }),
    );
    await nudgeSafely(deps, `session ${driverId} created`);
    return json(201, {
      sessionId: driverId,
      state: 'STARTING',
      token: sessionToken(sessionKey, driverId),
    });
  });

  on('GET', '/v1/sessions', async () => {
    const [active, done] = await Promise.all([
      queryPartition(deps.table, PK.driver),
      queryPartition(deps.table, PK.completedDriver),
    ]);
    const sessions = [...active, ...done]
      .map((i) => recordFromItem<Driver>(i).record)
      .filter(isSession)
      .sort((a, b) => b.seq - a.seq);
    return json(200, { sessions: await Promise.all(sessions.map((d) => view(d, false))) });
  });

  on('GET', '/v1/sessions/:sessionId', async (reqCtx) => {
    const driver = await find(pathParam(reqCtx, 'sessionId', id));
    return json(200, await view(driver, true));
  });

  // A running session is asked to stop (its server stops itself and its driver ends
  // FINISHED); one not yet running, or still running past the grace time, is killed.
  on('DELETE', '/v1/sessions/:sessionId', async (reqCtx) => {
    const sessionId = pathParam(reqCtx, 'sessionId', id);
    let driver = await find(sessionId);
    const now = deps.now();
    if (!isDriverActive(driver.state)) return json(200, await view(driver, false));
    if (driver.state === 'RUNNING' && !stopOverdue(driver.session, now)) {
      const session = requestStop(driver.session, now);
      if (session !== driver.session) await updateSession(deps.table, sessionId, session);
    } else {
      const applied = await applyEvent(
        deps.table,
        () => loadScope(deps.table, { drivers: [sessionId] }),
        (cluster) => killDriver(cluster, sessionId, now),
        { now, config: deps.master },
      );
      await performEffects(deps, applied.effects, `session ${sessionId} stopped`);
    }
    driver = await find(sessionId);
    return json(200, await view(driver, false));
  });

  return lambdaHandler(router, deps.metrics);
}

/**
 * How a client connects. Python's client sends a `token` only over TLS, or to `localhost`;
 * Spark's Connect server has no TLS, so elsewhere the header itself is a parameter.
 */
function endpoint(address: string, token: string): string {
  return address.startsWith('sc://localhost:')
    ? `${address}/;token=${token}`
    : `${address}/;authorization=${encodeURIComponent(`Bearer ${token}`)}`;
}
