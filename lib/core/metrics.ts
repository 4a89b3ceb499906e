// The figures of the Prometheus route (`GET /metrics/master/prometheus/`): Spark's
// MasterSource gauges under the names Spark's PrometheusServlet prints, then sparkplane's
// own. Figures of the cluster as it is now; counts that need state-change events (launches,
// latencies, scheduling passes) are not here.

import {
  APPLICATION_STATES,
  type Cluster,
  DRIVER_STATES,
  EXECUTOR_STATES,
  isApplicationActive,
  isExecutorLive,
  WORKER_STATES,
} from './model.js';

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  /** The label names every sample has, in order. */
  readonly labelNames: readonly string[];
  readonly samples: readonly Sample[];
}

export interface MetricsInput {
  /** What the master lists: active records and the retained completed ones. */
  readonly cluster: Cluster;
  /** Ids the durable counters have handed out. */
  readonly counters: { readonly drivers: number; readonly applications: number };
  /** The elastic pool, when it has a record: workers launched and not registered yet. */
  readonly pool?: { readonly pendingWorkers: number };
}

const MiB = 1024 * 1024;

/**
 * Spark's PrometheusServlet prints a gauge as `metrics_<source>_<name>_Number` and `…_Value`
 * (both for a numeric gauge), labelled `type="gauges"`, in the registry's name order.
 */
function sparkGauges(figures: Readonly<Record<string, number>>): MetricFamily[] {
  return Object.keys(figures)
    .sort()
    .flatMap((name) =>
      ['Number', 'Value'].map((suffix) => ({
        name: `metrics_master_${name}_${suffix}`,
        help: `Spark's MasterSource gauge ${name}`,
        type: 'gauge' as const,
        labelNames: ['type'],
        samples: [{ labels: { type: 'gauges' }, value: figures[name] as number }],
      })),
    );
}

/** One sample per state, every state of `states` included (0 where none). */
function byState(
  states: readonly string[],
  records: readonly { readonly state: string }[],
): Sample[] {
  const counts = new Map<string, number>(states.map((s) => [s, 0]));
  for (const r of records) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return [...counts].map(([state, value]) => ({ labels: { state }, value }));
}

const gauge = (name: string, help: string, value: number): MetricFamily => ({
  name,
  help,
  type: 'gauge',
  labelNames: [],
  samples: [{ labels: {}, value }],
});

export function clusterMetrics(input: MetricsInput): MetricFamily[] {
  const { cluster, counters, pool } = input;
  const workers = Object.values(cluster.workers);
  const alive = workers.filter((w) => w.state === 'ALIVE');
  const apps = Object.values(cluster.applications);
  // Spark's `master.apps` holds the applications not yet removed: the active ones.
  const activeApps = apps.filter((a) => isApplicationActive(a.state));
  const sum = (of: (w: (typeof alive)[number]) => number) => alive.reduce((n, w) => n + of(w), 0);
  const listed = workers.filter((w) => w.state !== 'DEAD').length;
  return [
    ...sparkGauges({
      // `master.workers` keeps a DEAD worker until it is forgotten, as our listing does.
      workers: workers.length,
      aliveWorkers: alive.length,
      apps: activeApps.length,
      waitingApps: activeApps.filter((a) => a.state === 'WAITING').length,
    }),
    {
      name: 'sparkplane_drivers',
      help: 'Drivers the master lists, by state: the active ones and the completed ones retained (spark.deploy.retainedDrivers)',
      type: 'gauge',
      labelNames: ['state'],
      samples: byState(DRIVER_STATES, Object.values(cluster.drivers)),
    },
    {
      name: 'sparkplane_applications',
      help: 'Applications the master lists, by state: the active ones and the completed ones retained (spark.deploy.retainedApplications)',
      type: 'gauge',
      labelNames: ['state'],
      samples: byState(APPLICATION_STATES, apps),
    },
    {
      name: 'sparkplane_executors',
      help: 'Executors that hold capacity on a worker, by state (ended executors are not counted)',
      type: 'gauge',
      labelNames: ['state'],
      samples: byState(
        EXECUTOR_STATES.filter((s) => isExecutorLive(s) || s === 'DECOMMISSIONED'),
        Object.values(cluster.executors),
      ),
    },
    {
      name: 'sparkplane_workers',
      help: 'Workers the master lists, by state (a DEAD one until it is forgotten)',
      type: 'gauge',
      labelNames: ['state'],
      samples: byState(WORKER_STATES, workers),
    },
    gauge(
      'sparkplane_cores',
      'Cores of the ALIVE workers',
      sum((w) => w.cores),
    ),
    gauge(
      'sparkplane_cores_used',
      'Cores of the ALIVE workers given to drivers and executors',
      sum((w) => w.coresUsed),
    ),
    gauge('sparkplane_memory_bytes', 'Memory of the ALIVE workers', sum((w) => w.memoryMb) * MiB),
    gauge(
      'sparkplane_memory_used_bytes',
      'Memory of the ALIVE workers given to drivers and executors',
      sum((w) => w.memoryUsedMb) * MiB,
    ),
    {
      name: 'sparkplane_drivers_created_total',
      help: 'Driver ids handed out since the table was created: one per submission and Connect session, and one per relaunch of a supervised driver (a new id, as in Spark)',
      type: 'counter',
      labelNames: [],
      samples: [{ labels: {}, value: counters.drivers }],
    },
    {
      name: 'sparkplane_applications_created_total',
      help: 'Application ids handed out since the table was created: one per registration',
      type: 'counter',
      labelNames: [],
      samples: [{ labels: {}, value: counters.applications }],
    },
    ...(pool === undefined
      ? []
      : [
          gauge(
            'sparkplane_pool_workers_pending',
            'Workers the elastic pool launched that have not registered yet',
            pool.pendingWorkers,
          ),
          gauge(
            'sparkplane_pool_workers',
            "The elastic pool's size: workers listed and not DEAD, and those launched and not registered yet (what counts against its maximum)",
            listed + pool.pendingWorkers,
          ),
        ]),
  ];
}
