// What passes, submissions and state changes count (lib/core/metrics.ts), from plain values.
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../../lib/core/events.js';
import {
  EVENT_METRICS,
  type Observation,
  passObservations,
  stateChangeObservations,
  submissionObservations,
} from '../../../lib/core/metrics.js';

const named = (os: readonly Observation[]) =>
  os.map((o) => ({ name: o.metric.name, labels: o.labels, value: o.value }));

const change = (c: Partial<StateChange> & Pick<StateChange, 'kind' | 'to'>): StateChange => ({
  id: `${c.kind}/x/1`,
  entityId: 'x',
  seq: 1,
  at: 100_000,
  ...c,
});

describe('the catalogue', () => {
  it('names counters _total and histograms _seconds, CloudWatch names CamelCase, all distinct', () => {
    const all = Object.values(EVENT_METRICS);
    for (const m of all) {
      expect(m.name).toMatch(m.type === 'counter' ? /^sparkplane_\w+_total$/ : /_seconds$/);
      expect(m.cloudWatchName).toMatch(/^[A-Z][A-Za-z]+$/);
    }
    expect(new Set(all.map((m) => m.name)).size).toBe(all.length);
    expect(new Set(all.map((m) => m.cloudWatchName)).size).toBe(all.length);
  });
});

describe('passObservations', () => {
  it('a pass that settled at once: one pass, its duration, its launches, no conflict', () => {
    expect(
      named(
        passObservations({
          attempts: 1,
          settled: true,
          driversLaunched: 2,
          executorsLaunched: 3,
          seconds: 0.25,
        }),
      ),
    ).toEqual([
      { name: 'sparkplane_scheduling_passes_total', labels: {}, value: 1 },
      { name: 'sparkplane_scheduling_pass_duration_seconds', labels: {}, value: 0.25 },
      { name: 'sparkplane_drivers_launched_total', labels: {}, value: 2 },
      { name: 'sparkplane_executors_launched_total', labels: {}, value: 3 },
    ]);
  });

  it('conflicts: every round but the settling one; all of them when none settled', () => {
    const conflicts = (attempts: number, settled: boolean) =>
      named(
        passObservations({
          attempts,
          settled,
          driversLaunched: 0,
          executorsLaunched: 0,
          seconds: 1,
        }),
      ).find((o) => o.name === 'sparkplane_scheduling_conflicts_total')?.value;
    expect(conflicts(1, true)).toBeUndefined();
    expect(conflicts(3, true)).toBe(2);
    expect(conflicts(3, false)).toBe(3);
  });
});

describe('submissionObservations', () => {
  it('counts a new driver, not its idempotent replay; refusals by status class', () => {
    expect(named(submissionObservations(200, false))).toEqual([
      { name: 'sparkplane_submissions_total', labels: {}, value: 1 },
    ]);
    expect(submissionObservations(200, true)).toEqual([]);
    expect(named(submissionObservations(413, false))).toEqual([
      { name: 'sparkplane_submissions_refused_total', labels: { status: '4xx' }, value: 1 },
    ]);
    expect(named(submissionObservations(503, false))[0]?.labels).toEqual({ status: '5xx' });
  });
});

describe('stateChangeObservations', () => {
  it('counts every change by kind and new state', () => {
    const os = stateChangeObservations([
      change({ kind: 'worker', to: 'ALIVE' }),
      change({ kind: 'worker', from: 'ALIVE', to: 'DEAD' }),
      change({ kind: 'application', to: 'WAITING', submitTimeMs: 90_000 }),
    ]);
    expect(named(os)).toEqual([
      {
        name: 'sparkplane_state_changes_total',
        labels: { kind: 'worker', state: 'ALIVE' },
        value: 1,
      },
      {
        name: 'sparkplane_state_changes_total',
        labels: { kind: 'worker', state: 'DEAD' },
        value: 1,
      },
      {
        name: 'sparkplane_state_changes_total',
        labels: { kind: 'application', state: 'WAITING' },
        value: 1,
      },
    ]);
  });

  it('a driver placed: submit → RUNNING in seconds', () => {
    const os = stateChangeObservations([
      change({
        kind: 'driver',
        from: 'SUBMITTED',
        to: 'RUNNING',
        at: 12_500,
        submitTimeMs: 10_000,
      }),
    ]);
    expect(named(os)).toEqual([
      {
        name: 'sparkplane_state_changes_total',
        labels: { kind: 'driver', state: 'RUNNING' },
        value: 1,
      },
      { name: 'sparkplane_driver_start_seconds', labels: {}, value: 2.5 },
    ]);
  });

  it('an application given its first executors: registration → RUNNING', () => {
    const os = stateChangeObservations([
      change({
        kind: 'application',
        from: 'WAITING',
        to: 'RUNNING',
        at: 4_000,
        submitTimeMs: 1_000,
      }),
    ]);
    expect(named(os)[1]).toEqual({
      name: 'sparkplane_application_start_seconds',
      labels: {},
      value: 3,
    });
  });

  it('failed and errored drivers count as failures by state; finished and killed ones do not', () => {
    const failures = named(
      stateChangeObservations(
        ['FAILED', 'ERROR', 'FINISHED', 'KILLED'].map((to) =>
          change({ kind: 'driver', from: 'RUNNING', to, submitTimeMs: 1 }),
        ),
      ),
    ).filter((o) => o.name === 'sparkplane_driver_failures_total');
    expect(failures).toEqual([
      { name: 'sparkplane_driver_failures_total', labels: { state: 'FAILED' }, value: 1 },
      { name: 'sparkplane_driver_failures_total', labels: { state: 'ERROR' }, value: 1 },
    ]);
  });

  it('no start latency for a driver back from UNKNOWN, a worker, or an unknown submit time', () => {
    const latencies = named(
      stateChangeObservations([
        change({ kind: 'driver', from: 'UNKNOWN', to: 'RUNNING', submitTimeMs: 1 }),
        change({ kind: 'application', from: 'UNKNOWN', to: 'RUNNING', submitTimeMs: 1 }),
        change({ kind: 'driver', from: 'SUBMITTED', to: 'RUNNING' }),
      ]),
    ).filter((o) => o.name.endsWith('_seconds'));
    expect(latencies).toEqual([]);
  });

  it('a clock that went back gives 0, never a negative latency', () => {
    const os = stateChangeObservations([
      change({ kind: 'driver', from: 'SUBMITTED', to: 'RUNNING', at: 1_000, submitTimeMs: 2_000 }),
    ]);
    expect(os[1]?.value).toBe(0);
  });
});
