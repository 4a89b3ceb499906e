import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AUTH_OFF } from '../lib/api/auth.js';
import { startControlPlane } from '../lib/local/control-plane.js';
import { LOCAL_AWS, startEmulators } from '../lib/local/emulators.js';
import { LocalLauncher, tempWorkDirs } from '../lib/local/workers.js';
import { percentile } from './stats.js';

const sleeper = fileURLToPath(new URL('../test/e2e/fixtures/sleep.mjs', import.meta.url));

const median = (xs: readonly number[]) => percentile(xs, 50);

const EXECUTORS = Number(process.env.BENCH_LAUNCH_EXECUTORS ?? 64);
const RUNS = Number(process.env.BENCH_LAUNCH_RUNS ?? 3);

type Counts = { reports: number; reportsFailed: number; other: number };

/** Forwards to `target`, counting what the worker agent asks for. */
function countingProxy(target: string, counts: Counts) {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const report = /\/(states|state)$/.test(req.url ?? '');
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        if (report) {
          counts.reports++;
          if ((answer.statusCode ?? 500) >= 300) counts.reportsFailed++;
        } else counts.other++;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (report) {
        counts.reports++;
        counts.reportsFailed++;
      }
      res.destroy();
    });
    req.pipe(upstream);
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export async function launchBurstBench(): Promise<void> {
  const emulators = await startEmulators();
  const cp = await startControlPlane({
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    sqsEndpoint: emulators.sqsEndpoint,
    aws: LOCAL_AWS,
    auth: AUTH_OFF,
  });
  const counts: Counts = { reports: 0, reportsFailed: 0, other: 0 };
  const proxy = await countingProxy(cp.url, counts);
  const workers = new LocalLauncher({
    masterUrl: proxy.url,
    cores: EXECUTORS,
    memory: `${EXECUTORS * 64}m`,
    workDirs: tempWorkDirs('sparkplane-bench-'),
    firstPort: 47_100,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  const get = async (path: string) => (await fetch(`${cp.url}${path}`)).json();
  try {
    await workers.launch(1, 'bench');
    while (((await get('/json/aliveworkers')) as { aliveworkers: number }).aliveworkers < 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const allRunningMs: number[] = [];
    const reports: number[] = [];
    const failed: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      counts.reports = 0;
      counts.reportsFailed = 0;
      const started = performance.now();
      const r = await fetch(`${cp.url}/v1/applications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `burst-${run}`,
          maxCores: EXECUTORS,
          executor: { cores: 1, memoryMb: 64 },
          command: { argv: ['{{NODE}}', sleeper] },
        }),
      });
      const { appId } = (await r.json()) as { appId: string };
      for (;;) {
        const app = (await get(`/v1/applications/${appId}`)) as {
          executors: { state: string }[];
        };
        if (app.executors.filter((e) => e.state === 'RUNNING').length === EXECUTORS) break;
        if (performance.now() - started > 300_000) throw new Error('bench: executors not RUNNING');
        await new Promise((r) => setTimeout(r, 25));
      }
      allRunningMs.push(performance.now() - started);
      reports.push(counts.reports);
      failed.push(counts.reportsFailed);
      await fetch(`${cp.url}/v1/applications/${appId}`, { method: 'DELETE' });
      // The executors' ends are reported too: let them settle before the next run counts.
      for (let last = -1; last !== counts.reports; ) {
        last = counts.reports;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    console.log(
      JSON.stringify({
        bench: 'launch-burst',
        executors: EXECUTORS,
        runs: RUNS,
        allRunningMedianMs: Math.round(median(allRunningMs)),
        allRunningMaxMs: Math.round(Math.max(...allRunningMs)),
        reportRequestsMedian: median(reports),
        reportRequestsPerExecutor: Math.round((median(reports) / EXECUTORS) * 100) / 100,
        failedReportRequestsMedian: median(failed),
      }),
    );
  } finally {
    await workers.stopAll();
    await proxy.close();
    await cp.close();
    await emulators.stop();
  }
}
