// The metrics sinks: the Prometheus registry the local route merges in, and CloudWatch's EMF
// lines (what Lambda's log turns into metrics), read back from stdout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prometheusText } from '../../../lib/api/prometheus.js';
import {
  emfSink,
  metricsSinkFromEnv,
  prometheusSink,
  recordStateChanges,
} from '../../../lib/cloud/metrics.js';
import { EVENT_METRICS } from '../../../lib/core/metrics.js';

const driverRunning = {
  id: 'driver/d1/2',
  kind: 'driver' as const,
  entityId: 'd1',
  seq: 2,
  from: 'SUBMITTED',
  to: 'RUNNING',
  at: 5_000,
  submitTimeMs: 2_000,
};

describe('prometheusSink', () => {
  it('counts and observes in its own registry, which the route merges with the gauges', async () => {
    const sink = prometheusSink();
    sink.count(EVENT_METRICS.passes);
    sink.count(EVENT_METRICS.driversLaunched, {}, 2);
    sink.observe(EVENT_METRICS.passDuration, {}, 0.03);
    recordStateChanges(sink, [driverRunning]);
    const { text } = await prometheusText(
      [
        {
          name: 'g',
          help: 'a gauge',
          type: 'gauge',
          labelNames: [],
          samples: [{ labels: {}, value: 7 }],
        },
      ],
      sink.registry,
    );
    expect(text).toContain('\ng 7\n');
    expect(text).toContain('\nsparkplane_scheduling_passes_total 1\n');
    expect(text).toContain('\nsparkplane_drivers_launched_total 2\n');
    expect(text).toContain('sparkplane_scheduling_pass_duration_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('sparkplane_scheduling_pass_duration_seconds_count 1');
    expect(text).toContain('sparkplane_state_changes_total{kind="driver",state="RUNNING"} 1');
    expect(text).toContain('sparkplane_driver_start_seconds_sum 3');
    // Counters never counted still show, at 0.
    expect(text).toContain('\nsparkplane_submissions_total 0\n');
  });

  it('keeps each sink apart: two control planes in one process count alone', async () => {
    const [a, b] = [prometheusSink(), prometheusSink()];
    a.count(EVENT_METRICS.submissions);
    const total = async (s: typeof a) =>
      (await s.registry?.getSingleMetric(EVENT_METRICS.submissions.name)?.get())?.values[0]?.value;
    expect(await total(a)).toBe(1);
    expect(await total(b)).toBe(0);
  });

  it('refuses a metric outside the catalogue', () => {
    const stray = { ...EVENT_METRICS.passes, name: 'stray_total' };
    expect(() => prometheusSink().count(stray)).toThrow(/stray_total/);
  });
});

describe('emfSink', () => {
  afterEach(() => vi.restoreAllMocks());

  const lines = (flush: () => void) => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    flush();
    write.mockRestore();
    return out
      .flatMap((c) => c.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };

  it('one EMF line per label set, in namespace sparkplane with the stack as service', () => {
    const sink = emfSink('MyStack');
    sink.count(EVENT_METRICS.passes);
    sink.count(EVENT_METRICS.passes);
    sink.observe(EVENT_METRICS.passDuration, {}, 0.5);
    sink.observe(EVENT_METRICS.passDuration, {}, 1.5);
    recordStateChanges(sink, [driverRunning, { ...driverRunning, entityId: 'd2' }]);
    const emitted = lines(() => sink.flush());
    expect(emitted).toHaveLength(2);
    const [plain, labelled] = emitted;
    expect(plain._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'sparkplane',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'SchedulingPasses', Unit: 'Count' },
          { Name: 'SchedulingPassDuration', Unit: 'Seconds' },
          { Name: 'DriverStartLatency', Unit: 'Seconds' },
        ],
      },
    ]);
    // Counts are summed, observations kept for CloudWatch's percentiles.
    expect(plain).toMatchObject({
      service: 'MyStack',
      SchedulingPasses: 2,
      SchedulingPassDuration: [0.5, 1.5],
      DriverStartLatency: [3, 3],
    });
    expect(labelled._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'kind', 'state']]);
    expect(labelled).toMatchObject({ kind: 'driver', state: 'RUNNING', StateChanges: 2 });
  });

  it('writes nothing, and warns of nothing, when nothing was recorded', () => {
    // Powertools warns through its own console, on stderr.
    const warn = vi.spyOn(process.stderr, 'write');
    const sink = emfSink('MyStack');
    expect(lines(() => sink.flush())).toEqual([]);
    sink.count(EVENT_METRICS.submissions);
    expect(lines(() => sink.flush())).toHaveLength(1);
    expect(lines(() => sink.flush())).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('splits many observations into lines under Powertools’ 100 values, each with its dimensions', () => {
    const sink = emfSink('MyStack');
    for (let i = 0; i < 250; i++) recordStateChanges(sink, [driverRunning]);
    const emitted = lines(() => sink.flush());
    const latencies = emitted.flatMap((l) => l.DriverStartLatency ?? []);
    expect(latencies).toHaveLength(250);
    for (const l of emitted) expect(l.service).toBe('MyStack');
    const changes = emitted.filter((l) => l.StateChanges !== undefined);
    expect(changes).toEqual([expect.objectContaining({ StateChanges: 250, kind: 'driver' })]);
  });
});

describe('metricsSinkFromEnv', () => {
  it('Prometheus by default, EMF when the stack says so, anything else refused', () => {
    expect(metricsSinkFromEnv({}).registry).toBeDefined();
    expect(metricsSinkFromEnv({ SPARKPLANE_METRICS: 'emf' }).registry).toBeUndefined();
    expect(() => metricsSinkFromEnv({ SPARKPLANE_METRICS: 'statsd' })).toThrow(/emf or prometheus/);
  });
});
