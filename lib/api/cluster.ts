// The master's JSON view (spec §i.1): GET /json, /json/<field>, /json/clusterutilization;
// its Prometheus metrics at Spark's path for the master's PrometheusServlet.

import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import { decommissionWorkersOnHosts, trimRetention } from '../core/lifecycle.js';
import { masterState, masterStateField } from '../core/master-state.js';
import { clusterMetrics } from '../core/metrics.js';
import {
  APPLICATION_STATES,
  type Application,
  DRIVER_STATES,
  type Driver,
  isApplicationActive,
} from '../core/model.js';
import { applicationUsage, driverUsage, type UsagePrices } from '../core/usage.js';
import { applyEvent } from '../store/apply.js';
import { loadListedCluster, loadWorkers } from '../store/cluster.js';
import { readCounters } from '../store/counters.js';
import { recordFromItem } from '../store/layout.js';
import { BadCursor, type ListedKind, listRecords } from '../store/listing.js';
import { pendingWorkers, readPool } from '../store/pool.js';
import { loadScope } from '../store/scope.js';
import { isLoopback } from './auth.js';
import type { ApiDeps } from './deps.js';
import { performEffects } from './deps.js';
import { requireCredential, sourceIp } from './guards.js';
import { ApiError, json, jsonRouter, KiB, lambdaHandler } from './http.js';
import { prometheusText } from './prometheus.js';

const driverSummary = (d: Driver, now: number, prices?: UsagePrices) => ({
  driverId: d.id,
  state: d.state,
  mainClass: d.description.mainClass,
  cores: d.description.cores,
  memoryMb: d.description.memoryMb,
  supervise: d.description.supervise,
  submitTimeMs: d.submitTimeMs,
  ...(d.endTimeMs === undefined ? {} : { endTimeMs: d.endTimeMs }),
  ...(d.workerId === undefined ? {} : { workerId: d.workerId, workerHostPort: d.workerHostPort }),
  ...(d.appId === undefined ? {} : { appId: d.appId }),
  ...(d.exception === undefined ? {} : { exception: d.exception }),
  ...(d.session === undefined ? {} : { session: true }),
  ...(d.launchTimeMs === undefined ? {} : { launchTimeMs: d.launchTimeMs }),
  usage: driverUsage(d, now, prices),
});

// An active application's live executors are not read here: only an ended one's usage is whole.
const applicationSummary = (a: Application, prices?: UsagePrices) => ({
  appId: a.id,
  name: a.description.name,
  user: a.description.user,
  state: a.state,
  coresGranted: a.coresGranted,
  ...(a.description.maxCores === undefined ? {} : { maxCores: a.description.maxCores }),
  executorMemoryMb: a.description.defaultProfile.memoryMb,
  submitTimeMs: a.submitTimeMs,
  ...(a.endTimeMs === undefined ? {} : { endTimeMs: a.endTimeMs }),
  ...(a.description.driverAddress === undefined ? {} : { driverId: a.description.driverAddress }),
  ...(a.warning === undefined ? {} : { warning: a.warning }),
  ...(isApplicationActive(a.state)
    ? {}
    : { usage: applicationUsage(a, [], a.endTimeMs ?? 0, prices) }),
});

export function clusterHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'submission'));
  /** The master URL as clients reach it: this API's host on Spark's REST port. */
  const url = (domainName: string) =>
    `spark://${domainName.replace(/:\d+$/, '')}:${deps.master.restPort}`;
  const domain = (event: unknown) =>
    (event as { requestContext: { domainName: string } }).requestContext.domainName;

  // What Spark's master lists: its completed lists are trimmed the moment one is appended
  // to, so what cleanup has not deleted yet is not listed either.
  const listed = async () =>
    trimRetention(await loadListedCluster(deps.table), deps.master).cluster;

  // Paged lists for the CLI and the UI (docs/protocol-additions.md "Listing").
  const list = (kind: ListedKind, states: readonly string[]) => async (reqCtx: RequestContext) => {
    const query = new URL(reqCtx.req.url).searchParams;
    const wanted = (query.get('state') ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
    const unknown = wanted.find((s) => !states.includes(s));
    if (unknown !== undefined) {
      throw new ApiError(
        400,
        'invalid_query',
        `state: ${unknown} is not one of ${states.join(', ')}`,
      );
    }
    const limit = query.get('limit') ?? '100';
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) {
      throw new ApiError(400, 'invalid_query', 'limit must be 1 to 1000');
    }
    const cursor = query.get('cursor') ?? undefined;
    if (cursor !== undefined && cursor.length > 2048) {
      throw new ApiError(400, 'invalid_query', 'cursor: longer than any this listing returns');
    }
    try {
      const page = await listRecords(deps.table, kind, {
        states: [...new Set(wanted)],
        limit: Number(limit),
        ...(cursor ? { cursor } : {}),
      });
      const records = page.items.map((i) => recordFromItem<Driver & Application>(i).record);
      return json(200, {
        ...(kind === 'driver'
          ? { drivers: records.map((d) => driverSummary(d, deps.now(), deps.master.usagePrices)) }
          : { applications: records.map((a) => applicationSummary(a, deps.master.usagePrices)) }),
        ...(page.cursor ? { cursor: page.cursor } : {}),
      });
    } catch (e) {
      if (e instanceof BadCursor) throw new ApiError(400, 'invalid_query', e.message);
      throw e;
    }
  };
  on('GET', '/v1/drivers', list('driver', DRIVER_STATES));
  on('GET', '/v1/applications', list('application', APPLICATION_STATES));

  on('GET', '/json', async (reqCtx) => {
    const cluster = await listed();
    return json(
      200,
      masterState(cluster, {
        url: url(domain(reqCtx.event)),
        now: deps.now(),
        ...(deps.master.usagePrices ? { prices: deps.master.usagePrices } : {}),
      }),
    );
  });
  on('GET', '/json/:field', async (reqCtx) => {
    const field = reqCtx.params.field ?? '';
    // Spark's route is `/json/<letters>`; anything else is not a field.
    if (!/^[A-Za-z]{1,64}$/.test(field)) throw new ApiError(404, 'not_found', `No field ${field}`);
    const cluster = await listed();
    const options = { url: url(domain(reqCtx.event)), now: deps.now() };
    return json(200, masterStateField(cluster, options, field));
  });
  // Spark's master serves its PrometheusServlet at this path, with or without the slash.
  const metrics = async () => {
    const [cluster, counters, pool] = await Promise.all([
      listed(),
      readCounters(deps.table),
      readPool(deps.table),
    ]);
    const { text, contentType } = await prometheusText(
      clusterMetrics({
        cluster,
        counters: { drivers: counters.driver, applications: counters.app },
        // A pool that never wrote its record has none (version 0): no pool figures. Its
        // registration grace is the scheduler's setting; a launch past it is dropped at
        // the pool's next write (every cleanup tick), so every recorded launch counts.
        ...(pool.version > 0
          ? { pool: { pendingWorkers: pendingWorkers(pool, deps.now(), Infinity) } }
          : {}),
      }),
      deps.metrics.registry,
    );
    return new Response(text, { status: 200, headers: { 'content-type': contentType } });
  };
  on('GET', '/metrics/master/prometheus', metrics);
  on('GET', '/metrics/master/prometheus/', metrics);
  // The UI's decommission (spec §d.4): `host` parameters in the query or a form body.
  const decommission = async (reqCtx: Parameters<Parameters<typeof on>[2]>[0]) => {
    const { master } = deps;
    if (!master.decommissionEnabled) {
      throw new ApiError(404, 'not_found', 'spark.decommission.enabled is false');
    }
    const local = isLoopback(sourceIp(reqCtx));
    if (
      master.decommissionAllowMode === 'DENY' ||
      (master.decommissionAllowMode === 'LOCAL' && !local)
    ) {
      throw new ApiError(
        405,
        'method_not_allowed',
        `Decommissioning is not allowed (spark.master.ui.decommission.allow.mode=${master.decommissionAllowMode})`,
      );
    }
    const hosts = new URL(reqCtx.req.url).searchParams.getAll('host');
    if (
      (reqCtx.req.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')
    ) {
      const body = await reqCtx.req.text();
      if (body.length > 64 * KiB)
        throw new ApiError(413, 'too_large', 'The form is larger than 64 KiB');
      hosts.push(...new URLSearchParams(body).getAll('host'));
    }
    if (hosts.length > 1000) throw new ApiError(400, 'invalid_body', 'host: at most 1000 hosts');
    const applied = await applyEvent(
      deps.table,
      async () => {
        const workers = await loadWorkers(deps.table);
        const wanted = new Set(hosts.map((h) => h.toLowerCase()));
        const ids = Object.values(workers)
          .filter((w) => wanted.has(w.host.toLowerCase()))
          .map((w) => w.id);
        return loadScope(deps.table, { workersWithAssigned: ids });
      },
      (cluster, _budget, ctx) => decommissionWorkersOnHosts(cluster, hosts, ctx.now),
      { now: deps.now(), config: master },
    );
    await performEffects(deps, applied.effects, 'workers decommissioned from the UI');
    const { count } = applied.decision;
    return json(count > 0 ? 200 : 404, { decommissioned: count });
  };
  on('POST', '/workers/kill', decommission);
  on('POST', '/workers/kill/', decommission);
  return lambdaHandler(router, deps.metrics);
}
