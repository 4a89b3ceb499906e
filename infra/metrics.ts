// The functions' CloudWatch metrics (EMF, lib/cloud/metrics.ts) on a dashboard beside the
// functions' and queues' health, and the alarms on them.

import { Aws, Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DRIVER_FAILURE_STATES,
  EVENT_METRICS,
  type EventMetric,
  METRICS_NAMESPACE,
} from '../lib/core/metrics.js';

const PERIOD = Duration.minutes(5);

/** What the functions write: every metric has the stack's name as its `service`. */
export const METRICS_ENVIRONMENT = {
  SPARKPLANE_METRICS: 'emf',
  SPARKPLANE_METRICS_SERVICE: Aws.STACK_NAME,
};

// An alarm's metric goes without a label: a label turns it into a metric-math query.
const metric = (
  m: EventMetric,
  statistic: string,
  label?: string,
  labels: Record<string, string> = {},
) =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: m.cloudWatchName,
    dimensionsMap: { service: Aws.STACK_NAME, ...labels },
    statistic,
    ...(label === undefined ? {} : { label }),
    period: PERIOD,
  });

const sum = (m: EventMetric, label: string, labels?: Record<string, string>) =>
  metric(m, 'Sum', label, labels);

const percentiles = (m: EventMetric) => [metric(m, 'p50', 'p50'), metric(m, 'p99', 'p99')];

/** Failed and errored drivers together: one line, one alarm. */
const driverFailures = () =>
  new MathExpression({
    expression: DRIVER_FAILURE_STATES.map((s) => s.toLowerCase()).join(' + '),
    usingMetrics: Object.fromEntries(
      DRIVER_FAILURE_STATES.map((s) => [
        s.toLowerCase(),
        sum(EVENT_METRICS.driverFailures, s, { state: s }),
      ]),
    ),
    label: 'failed + errored',
    period: PERIOD,
  });

/** A state's changes summed over every state of one kind: its dimensions hold the state too. */
const stateChangesOf = (kind: string) =>
  new MathExpression({
    expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,kind,state} MetricName="${EVENT_METRICS.stateChanges.cloudWatchName}" service="${Aws.STACK_NAME}" kind="${kind}"', 'Sum', ${PERIOD.toSeconds()}))`,
    label: kind,
    period: PERIOD,
  });

const graph = (title: string, left: IMetric[], unit?: string) =>
  new GraphWidget({
    title,
    left,
    width: 8,
    height: 6,
    ...(unit ? { leftYAxis: { label: unit, showUnits: false } } : {}),
  });

export interface Watched {
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly nudges: IQueue;
  readonly deadLetters: IQueue;
}

export function metricsDashboard(scope: Construct, watched: Watched): Dashboard {
  const m = EVENT_METRICS;
  const functions = Object.entries(watched.functions);
  return new Dashboard(scope, 'Dashboard', {
    dashboardName: Aws.STACK_NAME,
    defaultInterval: Duration.hours(3),
    widgets: [
      [
        graph('Scheduling passes', [sum(m.passes, 'passes'), sum(m.passConflicts, 'conflicts')]),
        graph('Scheduling pass duration', percentiles(m.passDuration), 'seconds'),
        graph('Launched by passes', [
          sum(m.driversLaunched, 'drivers'),
          sum(m.executorsLaunched, 'executors'),
        ]),
      ],
      [
        graph('Submissions', [
          sum(m.submissions, 'accepted'),
          sum(m.submissionsRefused, 'refused 4xx', { status: '4xx' }),
          sum(m.submissionsRefused, 'refused 5xx', { status: '5xx' }),
        ]),
        graph('State changes by kind', ['driver', 'application', 'worker'].map(stateChangesOf)),
        graph('Driver failures', [
          driverFailures(),
          ...DRIVER_FAILURE_STATES.map((s) => sum(m.driverFailures, s, { state: s })),
        ]),
      ],
      [
        graph('Driver start: submit → RUNNING', percentiles(m.driverStart), 'seconds'),
        graph(
          'Application start: registration → RUNNING',
          percentiles(m.applicationStart),
          'seconds',
        ),
        graph(
          'Function errors',
          functions.map(([name, f]) => f.metricErrors({ label: name, period: PERIOD })),
        ),
      ],
      [
        graph(
          'Function throttles',
          functions.map(([name, f]) => f.metricThrottles({ label: name, period: PERIOD })),
        ),
        graph('Nudge queue', [
          watched.nudges.metricApproximateNumberOfMessagesVisible({
            label: 'waiting',
            period: PERIOD,
          }),
          watched.nudges.metricApproximateAgeOfOldestMessage({
            label: 'oldest (s)',
            period: PERIOD,
          }),
        ]),
        graph('Dead-lettered nudges', [
          watched.deadLetters.metricApproximateNumberOfMessagesVisible({ period: PERIOD }),
        ]),
      ],
    ],
  });
}

/** Thresholds of the alarms on the functions' metrics. */
export const METRIC_ALARMS = {
  /** Drivers FAILED or ERROR in 5 minutes. */
  driverFailures: 3,
  /** Conflicting plan commits per 5 minutes, for 15 minutes. */
  conflicts: 10,
  /** p99 of submit → RUNNING, in seconds, over 15 minutes. */
  driverStartP99Sec: 300,
} as const;

export function metricAlarms(scope: Construct): void {
  const m = EVENT_METRICS;
  const base = {
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  };
  new Alarm(scope, 'DriverFailures', {
    ...base,
    alarmDescription: `${METRIC_ALARMS.driverFailures} or more drivers FAILED or ERROR within 5 minutes (their status says why)`,
    metric: driverFailures(),
    threshold: METRIC_ALARMS.driverFailures,
    evaluationPeriods: 1,
  });
  new Alarm(scope, 'SchedulingConflicts', {
    ...base,
    alarmDescription: `Scheduling passes conflicted ${METRIC_ALARMS.conflicts} or more times per 5 minutes for 15 minutes: plans keep colliding with other writes to the workers, and placing slows down`,
    metric: metric(m.passConflicts, 'Sum'),
    threshold: METRIC_ALARMS.conflicts,
    evaluationPeriods: 3,
  });
  new Alarm(scope, 'DriverStartLatency', {
    ...base,
    alarmDescription: `p99 of submit → RUNNING at ${METRIC_ALARMS.driverStartP99Sec} s or more for 15 minutes: drivers wait for capacity`,
    metric: metric(m.driverStart, 'p99'),
    threshold: METRIC_ALARMS.driverStartP99Sec,
    evaluationPeriods: 3,
  });
}
