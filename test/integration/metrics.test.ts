// The Prometheus route over real HTTP on DynamoDB Local: after a known sequence (two workers,
// three drivers, one of them failed) it shows exactly those counts, as Prometheus' own
// parser reads them, from Queries and Gets only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { EVENT_METRICS } from '../../lib/core/metrics.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { loadActiveCluster } from '../../lib/store/cluster.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { readPool, writePool } from '../../lib/store/pool.js';
import { parsePrometheus, samplesOf } from '../harness/prometheus.js';
import { startApi } from './api.js';

let cp: ControlPlane;

beforeAll(async () => {
  cp = await startApi();
});
afterAll(() => cp?.close());

const post = async (path: string, body: unknown) => {
  const r = await fetch(`${cp.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as Record<string, unknown>;
};

/** A scrape: the text, parsed by Prometheus' client, and the DynamoDB requests it made. */
async function scrape(path = '/metrics/master/prometheus/') {
  const requests = new Set<string>();
  const name = `count-${randomUUID()}`;
  cp.deps.table.doc.middlewareStack.add(
    ((next: (args: unknown) => unknown, context: { commandName?: string }) => (args: unknown) => {
      requests.add(String(context.commandName));
      return next(args);
    }) as never,
    { step: 'initialize', name },
  );
  try {
    const r = await fetch(`${cp.url}${path}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheus(await r.text());
    return { families, samples: samplesOf(families), requests };
  } finally {
    cp.deps.table.doc.middlewareStack.remove(name);
  }
}

const GiB = 1024 ** 3;

describe('GET /metrics/master/prometheus/', () => {
  it('after 2 workers, 3 drivers and 1 failure: exactly those counts', async () => {
    for (const port of [7201, 7202]) {
      await post('/v1/workers', { host: '127.0.0.1', port, cores: 4, memoryMb: 8192 });
    }
    const drivers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await post('/v1/submissions/create', {
        action: 'CreateSubmissionRequest',
        appResource: 'file:/app.jar',
        mainClass: 'org.example.Main',
        clientSparkVersion: '4.1.1',
        appArgs: [],
        sparkProperties: { 'spark.app.name': `metrics-${i}`, 'spark.driver.memory': '1g' },
        environmentVariables: {},
      });
      drivers.push(String(created.submissionId));
    }
    await runSchedulingPass(cp.deps.table, cp.deps.master, {
      holder: randomUUID(),
      leaseMs: 10_000,
      maxAttempts: 3,
      now: Date.now,
      random: mulberry32(7),
    });
    const { cluster } = await loadActiveCluster(cp.deps.table);
    const failing = cluster.drivers[drivers[0] as string];
    expect(failing?.state).toBe('RUNNING');
    // As a worker reports a driver whose process exited non-zero.
    const outcome = await post(`/v1/workers/${failing?.workerId}/drivers/${failing?.id}/state`, {
      state: 'FAILED',
      exception: 'java.lang.RuntimeException: boom',
    });
    expect(outcome).toEqual({ outcome: 'applied' });

    const { families, samples, requests } = await scrape();
    // The functions' counters (metrics-counters.test.ts) aside: the figures of the table.
    const counted = Object.values(EVENT_METRICS).map((m) => m.name);
    const gauges = [...samples].filter(([k]) => !counted.some((name) => k.startsWith(name)));
    expect(Object.fromEntries(gauges)).toEqual({
      'metrics_master_aliveWorkers_Number{type="gauges"}': 2,
      'metrics_master_aliveWorkers_Value{type="gauges"}': 2,
      'metrics_master_apps_Number{type="gauges"}': 0,
      'metrics_master_apps_Value{type="gauges"}': 0,
      'metrics_master_waitingApps_Number{type="gauges"}': 0,
      'metrics_master_waitingApps_Value{type="gauges"}': 0,
      'metrics_master_workers_Number{type="gauges"}': 2,
      'metrics_master_workers_Value{type="gauges"}': 2,
      'sparkplane_drivers{state="SUBMITTED"}': 0,
      'sparkplane_drivers{state="RUNNING"}': 2,
      'sparkplane_drivers{state="FINISHED"}': 0,
      'sparkplane_drivers{state="RELAUNCHING"}': 0,
      'sparkplane_drivers{state="UNKNOWN"}': 0,
      'sparkplane_drivers{state="KILLED"}': 0,
      'sparkplane_drivers{state="FAILED"}': 1,
      'sparkplane_drivers{state="ERROR"}': 0,
      'sparkplane_applications{state="WAITING"}': 0,
      'sparkplane_applications{state="RUNNING"}': 0,
      'sparkplane_applications{state="FINISHED"}': 0,
      'sparkplane_applications{state="FAILED"}': 0,
      'sparkplane_applications{state="KILLED"}': 0,
      'sparkplane_applications{state="UNKNOWN"}': 0,
      'sparkplane_executors{state="LAUNCHING"}': 0,
      'sparkplane_executors{state="RUNNING"}': 0,
      'sparkplane_executors{state="DECOMMISSIONED"}': 0,
      'sparkplane_workers{state="ALIVE"}': 2,
      'sparkplane_workers{state="DEAD"}': 0,
      'sparkplane_workers{state="DECOMMISSIONED"}': 0,
      'sparkplane_workers{state="UNKNOWN"}': 0,
      sparkplane_cores: 8,
      sparkplane_cores_used: 2,
      sparkplane_memory_bytes: 16 * GiB,
      sparkplane_memory_used_bytes: 2 * GiB,
      sparkplane_drivers_created_total: 3,
      sparkplane_applications_created_total: 0,
    });
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types.sparkplane_drivers_created).toBe('counter');
    expect(types.sparkplane_drivers).toBe('gauge');
    expect(types.metrics_master_workers_Value).toBe('gauge');
    // The partitions it lists and the counter and pool items; never a Scan.
    expect([...requests].sort()).toEqual(['GetItemCommand', 'QueryCommand']);
  });

  it('is served without the trailing slash too, and shows the pool once it has a record', async () => {
    const pool = await readPool(cp.deps.table);
    const now = Date.now();
    const launches = { launch: { count: 3, registered: 1, atMs: now } };
    expect(await writePool(cp.deps.table, pool, { ...pool, launches }, now, 60_000)).toBe(true);
    const { samples } = await scrape('/metrics/master/prometheus');
    expect(samples.get('sparkplane_pool_workers_pending')).toBe(2);
    // Two workers listed, two launched and not registered yet.
    expect(samples.get('sparkplane_pool_workers')).toBe(4);
  });

  it('answers 404 on other /metrics paths and 405 on another method', async () => {
    expect((await fetch(`${cp.url}/metrics/applications/prometheus/`)).status).toBe(404);
    const r = await fetch(`${cp.url}/metrics/master/prometheus/`, { method: 'POST' });
    expect(r.status).toBe(405);
  });
});
