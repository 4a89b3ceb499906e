// Log routes (docs/protocol-additions.md "Logs"): a driver's or an executor's stdout and
// stderr, read from the log store, never from a worker: they outlive the worker that ran
// them. Ranges as Livy's `?from=&size=` or `Range: bytes=a-b`; `follow` long-polls.

import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import { z } from 'zod';
import { type LogRead, readLog } from '../cloud/log-store.js';
import { LOG_STREAMS, type LogOwner, type LogStream, parseRange } from '../core/logs.js';
import { type Executor, executorKey, isDriverActive, isExecutorLive } from '../core/model.js';
import { readDriver } from '../store/drivers.js';
import { PK, recordFromItem } from '../store/layout.js';
import { getItems } from '../store/scope.js';
import type { ApiDeps } from './deps.js';
import { requireCredential } from './guards.js';
import { ApiError, id, jsonRouter, lambdaHandler, pathParam } from './http.js';

/** Under API Gateway's 30 s integration timeout, with room for the last read. */
export const MAX_FOLLOW_SEC = 25;
const FOLLOW_POLL_MS = 500;

const stream = z.enum(LOG_STREAMS, { error: `must be ${LOG_STREAMS.join(' or ')}` });
const executorId = z.coerce.number().int().min(0).max(2_147_483_647);

/** Whether the owner exists, and whether it ended (its log then grows no more). */
async function ownerState(deps: ApiDeps, owner: LogOwner): Promise<'active' | 'ended'> {
  if (owner.kind === 'driver') {
    const driver = await readDriver(deps.table, owner.driverId);
    if (!driver) throw new ApiError(404, 'not_found', `No driver ${owner.driverId}`);
    return isDriverActive(driver.state) ? 'active' : 'ended';
  }
  const sk = executorKey(owner.appId, owner.executorId);
  const [item] = await getItems(deps.table, [
    { pk: PK.executor, sk },
    { pk: PK.endedExecutor, sk },
  ]);
  if (!item) {
    throw new ApiError(404, 'not_found', `No executor ${owner.executorId} of ${owner.appId}`);
  }
  const executor = recordFromItem<Executor>(item).record;
  return isExecutorLive(executor.state) || executor.state === 'DECOMMISSIONED' ? 'active' : 'ended';
}

const flag = (v: string | null) => v === '' || v === 'true' || v === '1';

export function logsHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'submission'));

  const serve = async (reqCtx: RequestContext, owner: LogOwner, name: LogStream) => {
    const store = deps.logs;
    if (!store) throw new ApiError(404, 'not_found', 'No log store is configured');
    const query = new URL(reqCtx.req.url).searchParams;
    const range = parseRange(
      { from: query.get('from'), size: query.get('size') },
      reqCtx.req.headers.get('range'),
    );
    if ('error' in range) throw new ApiError(400, 'invalid_range', range.error);
    const follow = flag(query.get('follow'));
    const wait = query.get('waitSec');
    if (wait !== null && !/^\d{1,2}$/.test(wait)) {
      throw new ApiError(400, 'invalid_query', `waitSec must be 0 to ${MAX_FOLLOW_SEC}`);
    }
    const waitMs = Math.min(Number(wait ?? 20), MAX_FOLLOW_SEC) * 1000;
    let state = await ownerState(deps, owner);
    const deadline = Date.now() + (follow ? waitMs : 0);
    let read: LogRead;
    for (;;) {
      read = await readLog(store, owner, name, range.from, range.size);
      if (read.data.length > 0 || read.complete || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      if (state === 'active') state = await ownerState(deps, owner);
      // A process whose worker died shipped no end: its record's end is the log's.
      if (state === 'ended') {
        read = await readLog(store, owner, name, range.from, range.size);
        break;
      }
    }
    const complete = read.complete || (state === 'ended' && read.data.length === 0);
    const headers = reqCtx.res.headers;
    headers.set('content-type', 'text/plain; charset=utf-8');
    headers.set('cache-control', 'no-store');
    headers.set('x-log-from', String(read.from));
    headers.set('x-log-next', String(read.next));
    headers.set('x-log-complete', String(complete));
    // The bytes as written, whatever they are: answered base64-encoded to the gateway.
    return new Uint8Array(read.data).buffer;
  };

  on('GET', '/v1/drivers/:driverId/logs/:stream', async (reqCtx) =>
    serve(
      reqCtx,
      { kind: 'driver', driverId: pathParam(reqCtx, 'driverId', id) },
      pathParam(reqCtx, 'stream', stream),
    ),
  );
  on('GET', '/v1/applications/:appId/executors/:executorId/logs/:stream', async (reqCtx) =>
    serve(
      reqCtx,
      {
        kind: 'executor',
        appId: pathParam(reqCtx, 'appId', id),
        executorId: pathParam(reqCtx, 'executorId', executorId),
      },
      pathParam(reqCtx, 'stream', stream),
    ),
  );
  return lambdaHandler(router, deps.metrics);
}
