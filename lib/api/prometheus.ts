// The core's metric families as Prometheus' text exposition, written by prom-client, with
// the counters and histograms this process recorded (lib/cloud/metrics.ts), if it keeps any.

import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricFamily } from '../core/metrics.js';

/**
 * A fresh registry per scrape: every figure is read from the table for this request, so
 * nothing may carry over from an earlier one in the same Lambda container. No default
 * process metrics: they would describe whichever container served the scrape, one of many
 * that come and go, which Lambda's own CloudWatch metrics already cover. `recorded`: the
 * counters and histograms of this process (one process runs every function locally; in
 * AWS they are in CloudWatch and there is none).
 */
export async function prometheusText(
  families: readonly MetricFamily[],
  recorded?: Registry,
): Promise<{ readonly text: string; readonly contentType: string }> {
  const registry = new Registry();
  for (const f of families) {
    const options = {
      name: f.name,
      help: f.help,
      labelNames: [...f.labelNames],
      registers: [registry],
    };
    if (f.type === 'counter') {
      const counter = new Counter(options);
      for (const s of f.samples) counter.inc(s.labels, s.value);
    } else {
      const gauge = new Gauge(options);
      for (const s of f.samples) gauge.set(s.labels, s.value);
    }
  }
  // Merged, not shared: the scrape's gauges never stay in the process's registry.
  const merged = recorded ? Registry.merge([registry, recorded]) : registry;
  return { text: await merged.metrics(), contentType: merged.contentType };
}
