// The counters and histograms of lib/core/metrics.ts' EVENT_METRICS, recorded where they
// happen. Which sink is configuration (SPARKPLANE_METRICS): CloudWatch through Powertools'
// EMF lines in the function's log in AWS, a Prometheus registry in one local process.

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Counter, Histogram, Registry } from 'prom-client';
import type { StateChange } from '../core/events.js';
import {
  EVENT_METRICS,
  type EventMetric,
  METRICS_NAMESPACE,
  type Observation,
  passObservations,
  stateChangeObservations,
} from '../core/metrics.js';
import type { Plan } from '../core/schedule.js';
import type { PassOutcome } from '../store/pass.js';

type Labels = Readonly<Record<string, string>>;

export interface MetricsSink {
  count(metric: EventMetric, labels?: Labels, by?: number): void;
  /** A histogram's value, in seconds. */
  observe(metric: EventMetric, labels: Labels, seconds: number): void;
  /** At the end of each invocation: what was recorded is sent (EMF) or already shown. */
  flush(): void;
  /**
   * What the Prometheus route shows besides the gauges: this process's counters. None
   * for CloudWatch, whose figures are in CloudWatch.
   */
  readonly registry?: Registry;
}

export function record(sink: MetricsSink, observations: readonly Observation[]): void {
  for (const o of observations) {
    if (o.metric.type === 'counter') sink.count(o.metric, o.labels, o.value);
    else sink.observe(o.metric, o.labels, o.value);
  }
}

/** A scheduling pass that ran (held the lease), and how long it took. */
export function recordPass(
  sink: MetricsSink,
  pass: Extract<PassOutcome, { kind: 'done' }>,
  seconds: number,
): void {
  const placed = (of: (p: Plan) => readonly unknown[]) =>
    pass.committed.reduce((n, { plan }) => n + of(plan).length, 0);
  record(
    sink,
    passObservations({
      attempts: pass.attempts,
      settled: pass.settled,
      driversLaunched: placed((p) => p.drivers),
      executorsLaunched: placed((p) => p.executors),
      seconds,
    }),
  );
}

/** What state changes count (lib/core/metrics.ts), after they are published. */
export function recordStateChanges(sink: MetricsSink, changes: readonly StateChange[]): void {
  record(sink, stateChangeObservations(changes));
}

/**
 * Every counter and histogram in a registry of its own: one per control plane (or Lambda
 * container), so that two in one process (the tests) never add to each other's figures.
 */
export function prometheusSink(): MetricsSink {
  const registry = new Registry();
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  for (const m of Object.values(EVENT_METRICS) as EventMetric[]) {
    const options = {
      name: m.name,
      help: m.help,
      labelNames: [...m.labelNames],
      registers: [registry],
    };
    if (m.type === 'counter') counters.set(m.name, new Counter(options));
    else histograms.set(m.name, new Histogram({ ...options, buckets: [...(m.buckets ?? [])] }));
  }
  const known = <T>(map: Map<string, T>, m: EventMetric): T => {
    const metric = map.get(m.name);
    if (!metric) throw new Error(`${m.name} is not a ${m.type} of EVENT_METRICS`);
    return metric;
  };
  return {
    registry,
    count: (m, labels = {}, by = 1) => known(counters, m).inc({ ...labels }, by),
    observe: (m, labels, seconds) => known(histograms, m).observe({ ...labels }, seconds),
    flush: () => {},
  };
}

/**
 * Powertools publishes a line by itself at 100 values of one metric and clears its
 * dimensions then, so the rest of the line would lose them: lines stay under it.
 */
const EMF_VALUES_PER_LINE = 99;

/**
 * CloudWatch metrics as EMF lines on stdout, which Lambda puts in the function's log and
 * CloudWatch turns into metrics: no PutMetricData call, nothing to wait for. Dimensions
 * are `service` (the stack) and the metric's labels; EMF gives one dimension set to every
 * metric of a line, so each label set gets its own line at flush. No cold-start metric:
 * Lambda's own metrics cover the functions.
 */
export function emfSink(service: string): MetricsSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  /** By label set: each metric's values, a counter's summed into one. */
  const pending = new Map<string, { labels: Labels; values: Map<EventMetric, number[]> }>();
  const add = (metric: EventMetric, labels: Labels, value: number) => {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    const group = pending.get(key) ?? { labels, values: new Map() };
    pending.set(key, group);
    const values = group.values.get(metric) ?? [];
    group.values.set(metric, values);
    if (metric.type === 'counter') values[0] = (values[0] ?? 0) + value;
    else values.push(value);
  };
  return {
    count: (m, labels = {}, by = 1) => add(m, labels, by),
    observe: (m, labels, seconds) => add(m, labels, seconds),
    // Only label sets with values make a line: Powertools warns of an empty flush.
    flush: () => {
      for (const { labels, values } of pending.values()) {
        for (let from = 0; ; from += EMF_VALUES_PER_LINE) {
          const line = [...values].flatMap(([metric, vs]) =>
            vs.slice(from, from + EMF_VALUES_PER_LINE).map((value) => ({ metric, value })),
          );
          if (line.length === 0) break;
          for (const [name, value] of Object.entries(labels)) metrics.addDimension(name, value);
          for (const { metric, value } of line) {
            const unit = metric.type === 'counter' ? MetricUnit.Count : MetricUnit.Seconds;
            metrics.addMetric(metric.cloudWatchName, unit, value);
          }
          metrics.publishStoredMetrics();
        }
      }
      pending.clear();
    },
  };
}

/**
 * SPARKPLANE_METRICS: `emf` (the stack sets it, with SPARKPLANE_METRICS_SERVICE, the
 * stack's name) or `prometheus`, the default.
 */
export function metricsSinkFromEnv(env: NodeJS.ProcessEnv): MetricsSink {
  const kind = env.SPARKPLANE_METRICS ?? 'prometheus';
  if (kind === 'prometheus') return prometheusSink();
  if (kind !== 'emf') {
    throw new Error(`SPARKPLANE_METRICS must be emf or prometheus, not ${kind}`);
  }
  return emfSink(env.SPARKPLANE_METRICS_SERVICE || 'sparkplane');
}
