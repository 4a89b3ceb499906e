// The metrics route's figures: Spark's MasterSource gauges with its semantics, and
// sparkplane's own by state and capacity.
import { describe, expect, it } from 'vitest';
import { clusterMetrics, type MetricFamily } from '../../../lib/core/metrics.js';
import { aDriver, anApp, anExecutor, aWorker, clusterOf } from './fixtures.js';

const cluster = clusterOf({
  workers: [
    aWorker({ id: 'w1', cores: 4, coresUsed: 3, memoryMb: 4096, memoryUsedMb: 1536 }),
    aWorker({ id: 'w2', cores: 2, memoryMb: 2048 }),
    // Neither counts toward capacity; Spark's `workers` gauge counts both.
    aWorker({ id: 'w3', state: 'DEAD', cores: 16, coresUsed: 16 }),
    aWorker({ id: 'w4', state: 'DECOMMISSIONED', cores: 8 }),
  ],
  applications: [
    anApp({ id: 'app-1', state: 'RUNNING' }),
    anApp({ id: 'app-2', state: 'WAITING' }),
    anApp({ id: 'app-3', state: 'UNKNOWN' }),
    anApp({ id: 'app-4', state: 'FINISHED' }),
  ],
  executors: [
    anExecutor({ appId: 'app-1', id: 0, workerId: 'w1', state: 'RUNNING' }),
    anExecutor({ appId: 'app-1', id: 1, workerId: 'w1', state: 'LAUNCHING' }),
    anExecutor({ appId: 'app-3', id: 0, workerId: 'w4', state: 'DECOMMISSIONED' }),
  ],
  drivers: [
    aDriver({ id: 'd1', state: 'RUNNING' }),
    aDriver({ id: 'd2', state: 'SUBMITTED' }),
    aDriver({ id: 'd3', state: 'FAILED' }),
    aDriver({ id: 'd4', state: 'FAILED' }),
  ],
});

/** `name{labels}` → value, as the exposition would print them. */
const flat = (families: readonly MetricFamily[]) =>
  Object.fromEntries(
    families.flatMap((f) =>
      f.samples.map((s) => {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`);
        return [labels.length === 0 ? f.name : `${f.name}{${labels.join(',')}}`, s.value];
      }),
    ),
  );

describe('clusterMetrics', () => {
  const families = clusterMetrics({ cluster, counters: { drivers: 7, applications: 4 } });
  const figures = flat(families);

  it("Spark's four MasterSource gauges, each as _Number and _Value, in Spark's order", () => {
    const spark = families.filter((f) => f.name.startsWith('metrics_master_'));
    expect(spark.map((f) => f.name)).toEqual([
      'metrics_master_aliveWorkers_Number',
      'metrics_master_aliveWorkers_Value',
      'metrics_master_apps_Number',
      'metrics_master_apps_Value',
      'metrics_master_waitingApps_Number',
      'metrics_master_waitingApps_Value',
      'metrics_master_workers_Number',
      'metrics_master_workers_Value',
    ]);
    expect(new Set(spark.map((f) => f.type))).toEqual(new Set(['gauge']));
    // Every listed worker; ALIVE ones; active applications (UNKNOWN included); WAITING ones.
    expect(figures).toMatchObject({
      'metrics_master_workers_Value{type="gauges"}': 4,
      'metrics_master_aliveWorkers_Value{type="gauges"}': 2,
      'metrics_master_apps_Value{type="gauges"}': 3,
      'metrics_master_waitingApps_Value{type="gauges"}': 1,
      'metrics_master_waitingApps_Number{type="gauges"}': 1,
    });
  });

  it('lists every driver, application and worker state, 0 where none', () => {
    expect(figures).toMatchObject({
      'sparkplane_drivers{state="SUBMITTED"}': 1,
      'sparkplane_drivers{state="RUNNING"}': 1,
      'sparkplane_drivers{state="FAILED"}': 2,
      'sparkplane_drivers{state="RELAUNCHING"}': 0,
      'sparkplane_drivers{state="ERROR"}': 0,
      'sparkplane_applications{state="RUNNING"}': 1,
      'sparkplane_applications{state="FINISHED"}': 1,
      'sparkplane_applications{state="KILLED"}': 0,
      'sparkplane_workers{state="ALIVE"}': 2,
      'sparkplane_workers{state="DEAD"}': 1,
      'sparkplane_workers{state="DECOMMISSIONED"}': 1,
      'sparkplane_workers{state="UNKNOWN"}': 0,
      'sparkplane_executors{state="LAUNCHING"}': 1,
      'sparkplane_executors{state="RUNNING"}': 1,
      'sparkplane_executors{state="DECOMMISSIONED"}': 1,
    });
    const of = (name: string) => families.find((f) => f.name === name)?.samples.length;
    expect(of('sparkplane_drivers')).toBe(8);
    expect(of('sparkplane_applications')).toBe(6);
    expect(of('sparkplane_workers')).toBe(4);
  });

  it('capacity of ALIVE workers in cores and bytes; the counters as they are', () => {
    expect(figures).toMatchObject({
      sparkplane_cores: 6,
      sparkplane_cores_used: 3,
      sparkplane_memory_bytes: 6144 * 1024 * 1024,
      sparkplane_memory_used_bytes: 1536 * 1024 * 1024,
      sparkplane_drivers_created_total: 7,
      sparkplane_applications_created_total: 4,
    });
    const counters = families.filter((f) => f.type === 'counter').map((f) => f.name);
    expect(counters.every((n) => n.endsWith('_total'))).toBe(true);
    expect(
      families.filter((f) => f.type !== 'counter').some((f) => f.name.endsWith('_total')),
    ).toBe(false);
  });

  it('pool figures only when the pool has a record', () => {
    expect(figures).not.toHaveProperty('sparkplane_pool_workers');
    const withPool = flat(
      clusterMetrics({
        cluster,
        counters: { drivers: 0, applications: 0 },
        pool: { pendingWorkers: 2 },
      }),
    );
    // Three workers not DEAD, two on their way.
    expect(withPool).toMatchObject({
      sparkplane_pool_workers_pending: 2,
      sparkplane_pool_workers: 5,
    });
  });

  it('an empty cluster has every figure, at 0', () => {
    const empty = flat(
      clusterMetrics({ cluster: clusterOf({}), counters: { drivers: 0, applications: 0 } }),
    );
    expect(Object.values(empty).every((v) => v === 0)).toBe(true);
    expect(Object.keys(empty)).toHaveLength(Object.keys(figures).length);
  });
});
