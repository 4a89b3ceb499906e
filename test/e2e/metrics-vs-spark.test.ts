// Spark's master gauges side by side: Spark 4.1.1's Master with its PrometheusServlet and one
// worker, and sparkplane with one worker registered. The `metrics_master_*` samples both
// print (names, labels and values, read by Prometheus' own parser) are the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { sparkHome } from '../../lib/local/spark.js';
import { parsePrometheus, samplesOf } from '../harness/prometheus.js';
import { type SparkStandalone, startSparkStandalone } from '../harness/spark-standalone.js';
import { startApi } from '../integration/api.js';

// Spark's metrics configuration as spark-defaults.conf properties (docs: monitoring.html).
const PROMETHEUS_SERVLET = {
  'spark.metrics.conf.*.sink.prometheusServlet.class':
    'org.apache.spark.metrics.sink.PrometheusServlet',
  'spark.metrics.conf.*.sink.prometheusServlet.path': '/metrics/prometheus',
  'spark.metrics.conf.master.sink.prometheusServlet.path': '/metrics/master/prometheus',
};

let spark: SparkStandalone | undefined;
let cp: ControlPlane | undefined;

beforeAll(async () => {
  [spark, cp] = await Promise.all([
    startSparkStandalone({
      sparkHome: sparkHome(),
      workers: [{ cores: 1, memory: '512m' }],
      masterProperties: PROMETHEUS_SERVLET,
    }),
    startApi(),
  ]);
  const r = await fetch(`${cp.url}/v1/workers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host: '127.0.0.1', port: 7301, cores: 1, memoryMb: 512 }),
  });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await Promise.all([spark?.stop(), cp?.close()]);
});

/** The master source's samples of a scrape: Spark also prints JVM-wide static sources. */
async function masterSamples(url: string): Promise<Map<string, number>> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  const all = samplesOf(parsePrometheus(await r.text()));
  return new Map([...all].filter(([name]) => name.startsWith('metrics_master_')));
}

describe("Spark's MasterSource gauges", () => {
  it('sparkplane prints the samples Spark 4.1.1 prints, with the same names, labels and values', async () => {
    const path = '/metrics/master/prometheus/';
    const theirs = await masterSamples(`${spark?.uiUrl}${path}`);
    const ours = await masterSamples(`${cp?.url}${path}`);
    // What Spark printed when this was written; a Spark that prints more shows up here.
    expect([...theirs.keys()].sort()).toEqual(
      ['aliveWorkers', 'apps', 'waitingApps', 'workers'].flatMap((g) => [
        `metrics_master_${g}_Number{type="gauges"}`,
        `metrics_master_${g}_Value{type="gauges"}`,
      ]),
    );
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
  });
});
