// The functions' counters and histograms on the Prometheus route, in one process as
// `npm start` runs them: after a known sequence (two workers, three drivers submitted and
// placed by the scheduler, one replay, one refusal) the route shows those counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { parsePrometheus, samplesOf } from '../harness/prometheus.js';
import { startApi } from './api.js';

let cp: ControlPlane;

beforeAll(async () => {
  cp = await startApi({ scheduler: true });
});
afterAll(() => cp?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${cp.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const submission = (i: number) => ({
  action: 'CreateSubmissionRequest',
  appResource: 'file:/app.jar',
  mainClass: 'org.example.Main',
  clientSparkVersion: '4.1.1',
  appArgs: [],
  sparkProperties: { 'spark.app.name': `counted-${i}`, 'spark.driver.memory': '1g' },
  environmentVariables: {},
});

async function scrape() {
  const r = await fetch(`${cp.url}/metrics/master/prometheus/`);
  expect(r.status).toBe(200);
  const families = parsePrometheus(await r.text());
  return { families, samples: samplesOf(families) };
}

describe('the counters on GET /metrics/master/prometheus/', () => {
  it('shows the submissions, the passes with their durations, and the drivers launched', async () => {
    for (const port of [7301, 7302]) {
      const r = await post('/v1/workers', { host: '127.0.0.1', port, cores: 4, memoryMb: 8192 });
      expect(r.status).toBe(200);
    }
    for (let i = 0; i < 3; i++) {
      const r = await post('/v1/submissions/create', submission(i), { 'idempotency-key': `k${i}` });
      expect(r.status).toBe(200);
    }
    // A replay is no new submission; a malformed request is refused (4xx).
    const replay = await post('/v1/submissions/create', submission(0), { 'idempotency-key': 'k0' });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await post('/v1/submissions/create', { action: 'Nonsense' })).status).toBe(400);

    const deadline = Date.now() + 30_000;
    let scraped = await scrape();
    while ((scraped.samples.get('sparkplane_drivers_launched_total') ?? 0) < 3) {
      expect(Date.now(), 'the scheduler placed the three drivers').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
      scraped = await scrape();
    }
    const { families, samples } = scraped;
    expect(samples.get('sparkplane_submissions_total')).toBe(3);
    expect(samples.get('sparkplane_submissions_refused_total{status="4xx"}')).toBe(1);
    expect(samples.get('sparkplane_drivers_launched_total')).toBe(3);
    expect(samples.get('sparkplane_executors_launched_total')).toBe(0);
    const passes = samples.get('sparkplane_scheduling_passes_total') ?? 0;
    expect(passes).toBeGreaterThan(0);
    // One duration per pass, each under the largest bucket.
    expect(samples.get('sparkplane_scheduling_pass_duration_seconds_count')).toBe(passes);
    expect(samples.get('sparkplane_scheduling_pass_duration_seconds_bucket{le="+Inf"}')).toBe(
      passes,
    );
    expect(samples.get('sparkplane_scheduling_pass_duration_seconds_sum')).toBeGreaterThan(0);
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types.sparkplane_scheduling_passes).toBe('counter');
    expect(types.sparkplane_scheduling_pass_duration_seconds).toBe('histogram');
    // The gauges are still there, beside them.
    expect(samples.get('sparkplane_drivers{state="RUNNING"}')).toBe(3);
  }, 60_000);

  it('counts in its own control plane only: another one in this process starts at zero', async () => {
    const other = await startApi();
    try {
      const r = await fetch(`${other.url}/metrics/master/prometheus/`);
      const samples = samplesOf(parsePrometheus(await r.text()));
      expect(samples.get('sparkplane_submissions_total')).toBe(0);
      expect(samples.get('sparkplane_scheduling_passes_total')).toBe(0);
    } finally {
      await other.close();
    }
  });
});
