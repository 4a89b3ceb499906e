// The figures of the Prometheus route (`GET /metrics/master/prometheus/`): Spark's
// MasterSource gauges under the names Spark's PrometheusServlet prints, then sparkplane's
// own. Figures of the cluster as it is now. Then the catalogue of what the functions count
// as it happens (passes, submissions, state changes) and the pure rules of what to count.

import type { StateChange } from './events.js';
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

// ---- Counters and histograms of what happens (passes, submissions, state changes) ----
// Counted where it happens, by the functions, on a metrics sink (lib/cloud/metrics.ts):
// CloudWatch in AWS, the process's Prometheus registry locally. One catalogue for both.

export interface EventMetric {
  /** Prometheus: `_total` for counters, `_seconds` for histograms. */
  readonly name: string;
  /** CloudWatch (namespace METRICS_NAMESPACE): the same name in CamelCase. */
  readonly cloudWatchName: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  /** Prometheus labels, CloudWatch dimensions (besides `service`). */
  readonly labelNames: readonly string[];
  /** A histogram's Prometheus buckets, in seconds. */
  readonly buckets?: readonly number[];
}

export const METRICS_NAMESPACE = 'sparkplane';

/** From a fast pass to a slow Lambda's. */
const PASS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** From a warm worker's seconds to an elastic pool's new task and a queue's wait. */
const START_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

export const EVENT_METRICS = {
  passes: {
    name: 'sparkplane_scheduling_passes_total',
    cloudWatchName: 'SchedulingPasses',
    help: 'Scheduling passes run (the lease taken, the cluster read and planned)',
    type: 'counter',
    labelNames: [],
  },
  passDuration: {
    name: 'sparkplane_scheduling_pass_duration_seconds',
    cloudWatchName: 'SchedulingPassDuration',
    help: 'How long a scheduling pass took, lease to release',
    type: 'histogram',
    labelNames: [],
    buckets: PASS_BUCKETS,
  },
  passConflicts: {
    name: 'sparkplane_scheduling_conflicts_total',
    cloudWatchName: 'SchedulingConflicts',
    help: 'Plan commits of scheduling passes that conflicted with another write (read and planned again)',
    type: 'counter',
    labelNames: [],
  },
  driversLaunched: {
    name: 'sparkplane_drivers_launched_total',
    cloudWatchName: 'DriversLaunched',
    help: 'Drivers placed on a worker by scheduling passes',
    type: 'counter',
    labelNames: [],
  },
  executorsLaunched: {
    name: 'sparkplane_executors_launched_total',
    cloudWatchName: 'ExecutorsLaunched',
    help: 'Executors placed on a worker by scheduling passes',
    type: 'counter',
    labelNames: [],
  },
  submissions: {
    name: 'sparkplane_submissions_total',
    cloudWatchName: 'Submissions',
    help: 'Drivers submitted and accepted (REST create; an idempotent replay is not counted again)',
    type: 'counter',
    labelNames: [],
  },
  submissionsRefused: {
    name: 'sparkplane_submissions_refused_total',
    cloudWatchName: 'SubmissionsRefused',
    help: 'REST create requests refused, by HTTP status class',
    type: 'counter',
    labelNames: ['status'],
  },
  stateChanges: {
    name: 'sparkplane_state_changes_total',
    cloudWatchName: 'StateChanges',
    help: 'State changes of drivers, applications and workers, by kind and new state',
    type: 'counter',
    labelNames: ['kind', 'state'],
  },
  driverFailures: {
    name: 'sparkplane_driver_failures_total',
    cloudWatchName: 'DriverFailures',
    help: 'Drivers that ended FAILED (non-zero exit) or ERROR (could not run)',
    type: 'counter',
    labelNames: ['state'],
  },
  driverStart: {
    name: 'sparkplane_driver_start_seconds',
    cloudWatchName: 'DriverStartLatency',
    help: 'Submission to RUNNING (placed on a worker), per driver',
    type: 'histogram',
    labelNames: [],
    buckets: START_BUCKETS,
  },
  applicationStart: {
    name: 'sparkplane_application_start_seconds',
    cloudWatchName: 'ApplicationStartLatency',
    help: 'Registration to RUNNING (its first executors placed), per application',
    type: 'histogram',
    labelNames: [],
    buckets: START_BUCKETS,
  },
} as const satisfies Record<string, EventMetric>;

/** One count (a counter's increment) or one observation (a histogram's value, seconds). */
export interface Observation {
  readonly metric: EventMetric;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const of = (metric: EventMetric, value: number, labels: Record<string, string> = {}) => ({
  metric,
  labels,
  value,
});

export interface PassFigures {
  /** Read-plan-commit rounds the pass ran. */
  readonly attempts: number;
  /** False when the last round conflicted too. */
  readonly settled: boolean;
  readonly driversLaunched: number;
  readonly executorsLaunched: number;
  readonly seconds: number;
}

/** A pass that ran: every round but a settling last one ended in a conflict. */
export function passObservations(pass: PassFigures): Observation[] {
  const conflicts = pass.settled ? pass.attempts - 1 : pass.attempts;
  return [
    of(EVENT_METRICS.passes, 1),
    of(EVENT_METRICS.passDuration, pass.seconds),
    ...(conflicts > 0 ? [of(EVENT_METRICS.passConflicts, conflicts)] : []),
    ...(pass.driversLaunched > 0 ? [of(EVENT_METRICS.driversLaunched, pass.driversLaunched)] : []),
    ...(pass.executorsLaunched > 0
      ? [of(EVENT_METRICS.executorsLaunched, pass.executorsLaunched)]
      : []),
  ];
}

/** The REST create's answer: accepted (a new driver), or refused by status class. */
export function submissionObservations(status: number, replayed: boolean): Observation[] {
  if (status < 300) return replayed ? [] : [of(EVENT_METRICS.submissions, 1)];
  return [of(EVENT_METRICS.submissionsRefused, 1, { status: `${Math.floor(status / 100)}xx` })];
}

/** A driver that ends in one of these failed: its process exited non-zero, or it could not run. */
export const DRIVER_FAILURE_STATES = ['FAILED', 'ERROR'] as const;
const FAILED_DRIVER_STATES: ReadonlySet<string> = new Set(DRIVER_FAILURE_STATES);

/**
 * What state changes count: each by kind and new state, failed drivers, and the start
 * latencies. A change to RUNNING from UNKNOWN (a worker that came back) is no start.
 */
export function stateChangeObservations(changes: readonly StateChange[]): Observation[] {
  return changes.flatMap((c) => {
    const out = [of(EVENT_METRICS.stateChanges, 1, { kind: c.kind, state: c.to })];
    if (c.kind === 'driver' && FAILED_DRIVER_STATES.has(c.to)) {
      out.push(of(EVENT_METRICS.driverFailures, 1, { state: c.to }));
    }
    const latency =
      c.kind === 'driver' ? EVENT_METRICS.driverStart : EVENT_METRICS.applicationStart;
    if (c.kind !== 'worker' && c.to === 'RUNNING' && c.from !== 'UNKNOWN' && c.submitTimeMs) {
      out.push(of(latency, Math.max(0, c.at - c.submitTimeMs) / 1000));
    }
    return out;
  });
}
