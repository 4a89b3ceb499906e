// Spark's REST submission server (spec §a, PROTOCOL.md §1), behind the JWS filter. It also
// answers every path no other route family claims, as Spark's error servlet does.

import { createHash } from 'node:crypto';
import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { record } from '../cloud/metrics.js';
import { clearCompleted, killAllDrivers, killDriver } from '../core/lifecycle.js';
import { submissionObservations } from '../core/metrics.js';
import { CONNECT_SERVER } from '../core/session.js';
import { driverDescription } from '../core/submission.js';
import {
  clearResponse,
  createSubmissionResponse,
  errorResponse,
  killAllSubmissionResponse,
  killSubmissionResponse,
  parseCreateSubmissionRequest,
  readyzResponse,
  routeSubmission,
  SPARK_REST_CONTENT_TYPE,
  type SparkRestResponse,
  submissionStatusResponse,
} from '../protocol/spark-rest.js';
import { applyEvent } from '../store/apply.js';
import { queryPartition } from '../store/cluster.js';
import { forgetCompleted } from '../store/completed.js';
import { createDriver, IdempotencyKeyReused, readDriver } from '../store/drivers.js';
import { PK } from '../store/layout.js';
import { loadScope } from '../store/scope.js';
import { type ApiDeps, nudgeSafely, performEffects } from './deps.js';
import { sparkJwsFilter } from './guards.js';
import { id, jsonRouter, lambdaHandler } from './http.js';
import { withUiPage } from './ui.js';

/** A driver description is stored as one item (400 KB at most): the request stays well under. */
export const MAX_CREATE_BYTES = 256 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** Drivers killed per transaction by killall (a waiting one is two writes). */
const KILLALL_CHUNK = 40;

const REPLAYED = 'idempotent-replayed';
const isReplay = (r: Response) => r.headers.get(REPLAYED) === 'true';

const reply = (r: SparkRestResponse, headers: Record<string, string> = {}) =>
  new Response(r.body, {
    status: r.statusCode,
    headers: { 'content-type': SPARK_REST_CONTENT_TYPE, ...headers },
  });

function bodyText(reqCtx: RequestContext): string {
  const event = reqCtx.event as { body?: string; isBase64Encoded?: boolean };
  if (event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** An id Spark would look up; anything else cannot name a stored driver. */
const storable = (submissionId: string) => id.safeParse(submissionId).success;

export function submissionsHandler(deps: ApiDeps) {
  const { router } = jsonRouter(deps.logger, (status, _code, message, headers) =>
    reply(errorResponse(status, message), headers),
  );
  router.use(sparkJwsFilter(deps.auth));
  const options = () => ({ now: deps.now(), config: deps.master });

  async function create(reqCtx: RequestContext): Promise<Response> {
    const body = bodyText(reqCtx);
    if (Buffer.byteLength(body) > MAX_CREATE_BYTES) {
      return reply(
        errorResponse(
          413,
          `Malformed request: the request body exceeds ${MAX_CREATE_BYTES} bytes.`,
        ),
      );
    }
    const parsed = parseCreateSubmissionRequest(body);
    if (!parsed.ok) return reply(errorResponse(400, parsed.message));
    // As spark-submit refuses it in cluster mode; a session gets a token, this would not.
    if (parsed.request.mainClass === CONNECT_SERVER) {
      return reply(
        errorResponse(
          400,
          'Malformed request: java.lang.IllegalArgumentException: Cluster deploy mode is not applicable to Spark Connect server; create a session with POST /v1/sessions.',
        ),
      );
    }
    const built = driverDescription(parsed.request, { placeholder: deps.placeholder });
    if (!built.ok) return reply(errorResponse(400, built.message));
    const key = reqCtx.req.headers.get('idempotency-key') ?? undefined;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return reply(
        errorResponse(400, 'Idempotency-Key must be 1 to 255 visible ASCII characters.'),
      );
    }
    const idempotency = key && {
      key,
      fingerprint: createHash('sha256').update(body).digest('base64url'),
    };
    try {
      const { driverId, replayed } = await createDriver(
        deps.table,
        deps.master,
        built.description,
        deps.now(),
        idempotency || undefined,
      );
      // Durable first, then the scheduler is told; placing never happens in the request.
      if (!replayed) await nudgeSafely(deps, `driver ${driverId} submitted`);
      return reply(
        createSubmissionResponse({
          submissionId: driverId,
          success: true,
          message: `Driver successfully submitted as ${driverId}`,
          unknownFields: parsed.unknownFields,
        }),
        replayed ? { [REPLAYED]: 'true' } : {},
      );
    } catch (e) {
      if (e instanceof IdempotencyKeyReused) return reply(errorResponse(409, e.message));
      throw e;
    }
  }

  async function kill(submissionId: string): Promise<Response> {
    const unknown = `Driver ${submissionId} has already finished or does not exist`;
    if (!storable(submissionId)) return reply(killSubmissionResponse(submissionId, false, unknown));
    const applied = await applyEvent(
      deps.table,
      () => loadScope(deps.table, { drivers: [submissionId] }),
      (cluster) => killDriver(cluster, submissionId, deps.now()),
      options(),
    );
    await performEffects(deps, applied.effects, `driver ${submissionId} killed`);
    const { success, message } = applied.decision;
    return reply(killSubmissionResponse(submissionId, success, message));
  }

  async function killAll(): Promise<Response> {
    const active = (await queryPartition(deps.table, PK.driver)).map((i) => String(i.sk));
    for (let i = 0; i < active.length; i += KILLALL_CHUNK) {
      const drivers = active.slice(i, i + KILLALL_CHUNK);
      const applied = await applyEvent(
        deps.table,
        () => loadScope(deps.table, { drivers }),
        (cluster) => killAllDrivers(cluster, deps.now()),
        options(),
      );
      await performEffects(deps, applied.effects, 'all drivers killed');
    }
    return reply(killAllSubmissionResponse(true, 'Kill request for all drivers submitted'));
  }

  async function status(submissionId: string): Promise<Response> {
    const driver = storable(submissionId) ? await readDriver(deps.table, submissionId) : undefined;
    if (!driver) return reply(submissionStatusResponse({ submissionId, success: false }));
    return reply(
      submissionStatusResponse({
        submissionId,
        success: true,
        driverState: driver.state,
        ...(driver.workerId === undefined ? {} : { workerId: driver.workerId }),
        ...(driver.workerHostPort === undefined ? {} : { workerHostPort: driver.workerHostPort }),
        ...(driver.exception === undefined
          ? {}
          : { message: `Exception from the cluster:\n${driver.exception}` }),
      }),
    );
  }

  async function readyz(): Promise<Response> {
    try {
      // Ready means the store answers: a strongly consistent read of one small item.
      await deps.table.doc.send(
        new GetCommand({
          TableName: deps.table.name,
          Key: { pk: PK.lease, sk: 'scheduler' },
          ConsistentRead: true,
        }),
      );
      return reply(readyzResponse());
    } catch (e) {
      deps.logger.warn('readyz: the store does not answer', { error: e as Error });
      return reply(errorResponse(503, 'Master is not ready.'));
    }
  }

  router.route(
    async (reqCtx) => {
      const event = reqCtx.event as {
        rawPath?: string;
        requestContext: { http: { method: string } };
      };
      const route = routeSubmission(event.requestContext.http.method, event.rawPath ?? '/');
      switch (route.kind) {
        case 'error':
          return reply(
            { statusCode: route.status, body: route.body },
            route.allow ? { allow: route.allow } : {},
          );
        case 'create': {
          const response = await create(reqCtx);
          record(deps.metrics, submissionObservations(response.status, isReplay(response)));
          return response;
        }
        case 'kill':
          return kill(route.submissionId);
        case 'killall':
          return killAll();
        case 'status':
          return status(route.submissionId);
        case 'clear':
          await forgetCompleted(deps.table, clearCompleted);
          return reply(clearResponse());
        case 'readyz':
          return readyz();
      }
    },
    { method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], path: /^.*$/ },
  );
  return withUiPage(deps.uiPage, lambdaHandler(router, deps.metrics));
}
