// The whole path on a local stack with 2 worker agents (4 cores each): Spark REST create →
// nudge → scheduling pass → push to the worker's queue → driver process started, for 100
// submissions at a steady rate; and application registered → all its executors RUNNING
// (the worker reports RUNNING once the process started), for 20 applications in turn.
// BENCH_SUBMISSIONS, BENCH_INTERVAL_MS and BENCH_APPS change the load.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalStack } from './local-stack.js';
import { percentile } from './stats.js';

const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 100);
// 4 submissions a second: at 10 a second the drivers' own process starts (about 0.1 s of
// CPU each) take most of a 2-core machine, and the figure measures the machine.
const SUBMIT_INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 250);
const APPS = Number(process.env.BENCH_APPS ?? 20);
const WARMUP = 10;
const EXECUTORS_PER_APP = 4;
const sleeper = fileURLToPath(new URL('../test/e2e/fixtures/sleep.mjs', import.meta.url));

type Json = Record<string, unknown>;

export async function e2eBench(): Promise<void> {
  const stack = await startLocalStack({ cores: 4, memory: '8g', firstPort: 7078 });
  const call = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') =>
    (await (
      await fetch(`${stack.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    ).json()) as Json;
  const until = async <T>(probe: () => Promise<T | undefined>, pollMs = 10): Promise<T> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error('e2e bench: timed out');
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  try {
    // Drivers: each prints the instant it started, then exits. The first WARMUP are not
    // counted: DynamoDB Local's JVM and the processes' JITs are still compiling then.
    const submitted: { id: string; at: number }[] = [];
    for (let i = 0; i < WARMUP + SUBMISSIONS; i++) {
      const at = Date.now();
      const created = await call('/v1/submissions/create', {
        action: 'CreateSubmissionRequest',
        appResource: sleeper,
        mainClass: 'sparkplane.bench.Driver',
        appArgs: ['--exit-after', '0'],
        clientSparkVersion: '4.1.1',
        sparkProperties: { 'spark.app.name': `bench ${i}`, 'spark.driver.memory': '256m' },
      });
      submitted.push({ id: String(created.submissionId), at });
      await new Promise((r) => setTimeout(r, Math.max(0, at + SUBMIT_INTERVAL_MS - Date.now())));
    }
    const started: number[] = [];
    for (const { id, at } of submitted.slice(WARMUP)) {
      await until(async () => {
        const s = await call(`/v1/submissions/status/${id}`);
        return s.driverState === 'FINISHED' ? true : undefined;
      }, 50);
      const dir = stack.workDirs.find((d) => {
        try {
          readFileSync(join(d, id, 'stdout'));
          return true;
        } catch {
          return false;
        }
      });
      const out = readFileSync(join(dir ?? '', id, 'stdout'), 'utf8');
      started.push(Number(/started (\d+)/.exec(out)?.[1]) - at);
    }

    // Applications: the bench acts as the driver, registering and unregistering.
    const running: number[] = [];
    for (let i = 0; i < APPS; i++) {
      const at = Date.now();
      const { appId } = await call('/v1/applications', {
        name: `bench app ${i}`,
        maxCores: EXECUTORS_PER_APP,
        executor: { cores: 1, memoryMb: 256 },
        command: { argv: ['{{NODE}}', sleeper], env: {} },
      });
      await until(async () => {
        const app = await call(`/v1/applications/${appId}`);
        const executors = (app.executors ?? []) as Json[];
        return executors.length === EXECUTORS_PER_APP &&
          executors.every((e) => e.state === 'RUNNING')
          ? true
          : undefined;
      });
      running.push(Date.now() - at);
      await call(`/v1/applications/${appId}`, undefined, 'DELETE');
      await until(async () => ((await call('/json/coresused')).coresused === 0 ? true : undefined));
    }
    console.log(
      JSON.stringify({
        bench: 'e2e',
        workers: 2,
        coresPerWorker: 4,
        warmupSubmissions: WARMUP,
        submissions: SUBMISSIONS,
        submitIntervalMs: SUBMIT_INTERVAL_MS,
        submitToDriverStartedP50Ms: percentile(started, 50),
        submitToDriverStartedP99Ms: percentile(started, 99),
        apps: APPS,
        executorsPerApp: EXECUTORS_PER_APP,
        appToExecutorsRunningP50Ms: percentile(running, 50),
        appToExecutorsRunningP99Ms: percentile(running, 99),
      }),
    );
  } finally {
    await stack.stop();
  }
}
