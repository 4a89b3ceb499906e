// `npm run bench -- logs`: how long a line a driver writes takes to be readable through the
// API. A driver prints timestamped lines at a steady rate; a reader follows its stdout with
// the long poll, as `sparkplane logs -f` does, and takes each line's delay on arrival. The
// delay is the shipping interval's wait (half of it on average), the route to S3, and the
// follow loop's poll. Spark's own master has no counterpart: its logs stay on the worker's
// disk, served by that worker's page while it lives.
import { fileURLToPath } from 'node:url';
import { createRequest } from '../test/harness/spark-submit.js';
import { startLocalStack } from './local-stack.js';
import { percentile } from './stats.js';

const chatter = fileURLToPath(new URL('../test/e2e/fixtures/chatter.mjs', import.meta.url));
const LINES = 200;
const EVERY_MS = 100;

async function run(intervalMs: number, firstPort: number) {
  const stack = await startLocalStack({
    cores: 2,
    memory: '2g',
    firstPort,
    workers: 1,
    env: { SPARK_WORKER_OPTS: `-Dspark.sparkplane.worker.logs.interval=${intervalMs}ms` },
  });
  try {
    const created = (await (
      await fetch(`${stack.url}/v1/submissions/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(createRequest(chatter, { args: [String(LINES), String(EVERY_MS)] })),
      })
    ).json()) as { submissionId: string };
    const path = `${stack.url}/v1/drivers/${created.submissionId}/logs/stdout`;
    const delays: number[] = [];
    let from = 0;
    let rest = '';
    for (;;) {
      const r = await fetch(`${path}?from=${from}&follow=true&waitSec=20`);
      const arrived = Date.now();
      if (r.status === 404) throw new Error(`bench: ${await r.text()}`);
      rest += await r.text();
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const written = Number(/^line \d+ at (\d+)/.exec(line)?.[1]);
        if (written) delays.push(arrived - written);
      }
      from = Number(r.headers.get('x-log-next'));
      if (r.headers.get('x-log-complete') === 'true') break;
    }
    console.log(
      JSON.stringify({
        bench: 'logs',
        shipIntervalMs: intervalMs,
        lines: delays.length,
        lineEveryMs: EVERY_MS,
        p50Ms: percentile(delays, 50),
        p99Ms: percentile(delays, 99),
        maxMs: Math.max(...delays),
      }),
    );
  } finally {
    await stack.stop();
  }
}

export async function logsBench(): Promise<void> {
  await run(2000, 27_100);
  await run(500, 27_200);
}
