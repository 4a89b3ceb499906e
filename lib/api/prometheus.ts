// The core's metric families as Prometheus' text exposition, written by prom-client.

import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricFamily } from '../core/metrics.js';

/**
 * A fresh registry per scrape: every figure is read from the table for this request, so
 * nothing may carry over from an earlier one in the same Lambda container. No default
 * process metrics: they would describe whichever container served the scrape, one of many
 * that come and go, which Lambda's own CloudWatch metrics already cover.
 */
export async function prometheusText(
  families: readonly MetricFamily[],
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
  return { text: await registry.metrics(), contentType: registry.contentType };
}
