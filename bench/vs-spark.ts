// sparkplane side by side with Spark's own standalone master, in the same run, from the same
// SPARK_HOME: each figure is measured on both, one after the other (never at once: they
// would share the 2 CPUs), and printed as one line with both values and their ratio,
// {"bench": "vs-spark", "figure": …, …parameters, "sparkplaneMs", "sparkMs", "ratio"}.
//
// SparkPi (the project's jar; 2 executors of 1 core on 2 workers of 2 cores) over Spark's
// REST protocol, BENCH_VS_SPARK_RUNS times (10) after one warm-up; from the driver's own log
// as it is written (read every 20 ms), p50 and p99:
//   create → driver JVM        REST create → the driver JVM's Spark logging is up
//   context → executors        SparkContext starting → every executor registered with it
//   SparkPi end to end         REST create → the driver FINISHED (status polled every 100 ms)
// Spark's worker starts its driver's JVM directly (DriverWrapper); a sparkplane worker runs
// spark-submit, which starts a launcher JVM first.
//
// Worker lost → executor replaced: a PySpark client holds one executor on each of 2 workers;
// one worker is SIGKILLed with everything it runs; the time until the replacement executor
// registered with the driver (its log). Each master at its own default spark.worker.timeout,
// then both at 10 s; BENCH_VS_SPARK_LOSS_RUNS times (3) each.
//
// Control plane lost: the master SIGKILLed while an application holds its executors, and
// started again on its recovery state (sparkplane: `npm start` with the same --data-dir;
// Spark: recoveryMode FILESYSTEM) → the next driver RUNNING; the application must still
// hold its executors and finish.
//
// 100 creates, 50 in flight, against masters without workers (every driver stays
// SUBMITTED): each create's latency (p50, p99) and the whole burst's wall time.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { examplesJar, pluginJar, sparkEnvironment } from '../lib/local/spark.js';
import { startLocalMain } from '../test/harness/local-main.js';
import { freePort, startSparkStandalone } from '../test/harness/spark-standalone.js';
import { clientDriver, createRequest } from '../test/harness/spark-submit.js';
import { startLocalStack } from './local-stack.js';
import { percentile } from './stats.js';

const RUNS = Number(process.env.BENCH_VS_SPARK_RUNS ?? 10);
const LOSS_RUNS = Number(process.env.BENCH_VS_SPARK_LOSS_RUNS ?? 3);
const SLICES = 4;
const EXECUTORS = 2;
const jobs = fileURLToPath(new URL('../test/e2e/fixtures/jobs.py', import.meta.url));

/** One master with its workers, as the figures use it. */
interface Target {
  readonly master: 'sparkplane' | 'spark';
  readonly restUrl: string;
  /** spark.master in a REST create. */
  readonly masterUrl: string;
  /** A client's --master and what its spark-submit needs besides. */
  readonly clientMaster: string;
  readonly clientArgs: readonly string[];
  /** Where the drivers' work directories appear. */
  readonly workDirs: readonly string[];
  /** SIGKILL the index-th worker and everything it runs. */
  loseWorker(index: number): void;
  stop(): Promise<void>;
}

interface Shape {
  readonly workers: number;
  readonly props?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, pollMs: number) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`vs-spark bench: timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

async function sparkplane(env: Record<string, string>, shape: Shape): Promise<Target> {
  const stack = await startLocalStack({
    cores: 2,
    memory: '2g',
    workers: shape.workers,
    firstPort: await freePort(),
    env,
    ...(shape.props ? { sparkProperties: shape.props } : {}),
  });
  const host = new URL(stack.url).host;
  return {
    master: 'sparkplane',
    restUrl: stack.url,
    masterUrl: `spark://${host}`,
    clientMaster: `sparkplane://${host}`,
    clientArgs: ['--jars', pluginJar],
    ...stack,
  };
}

/** Spark's own Master (REST server on) and its Workers, from the same SPARK_HOME. */
async function spark(env: Record<string, string>, shape: Shape): Promise<Target> {
  const s = await startSparkStandalone({
    sparkHome: env.SPARK_HOME as string,
    workers: Array.from({ length: shape.workers }, () => ({ cores: 2, memory: '2g' })),
    env: { ...process.env, ...env },
    ...(shape.props ? { masterProperties: shape.props } : {}),
  });
  return {
    master: 'spark',
    restUrl: s.restUrl,
    masterUrl: s.masterUrl,
    clientMaster: s.masterUrl,
    clientArgs: [],
    workDirs: s.workers.map((w) => w.workDir),
    loseWorker: (i) => s.workers[i]?.lose(),
    stop: () => s.stop(),
  };
}

/** Runs `measure` on sparkplane, then on Spark, each on a cluster of its own. */
async function bothSides<T>(
  env: Record<string, string>,
  shape: Shape,
  measure: (t: Target) => Promise<T>,
): Promise<{ sparkplane: T; spark: T }> {
  const out: Partial<Record<Target['master'], T>> = {};
  for (const make of [sparkplane, spark]) {
    const t = await make(env, shape);
    try {
      out[t.master] = await measure(t);
    } finally {
      await t.stop();
    }
  }
  return out as { sparkplane: T; spark: T };
}

function print(
  figure: string,
  parameters: Record<string, unknown>,
  sparkplaneMs: number,
  sparkMs: number,
  extra: Record<string, number> = {},
): void {
  console.log(
    JSON.stringify({
      bench: 'vs-spark',
      figure,
      ...parameters,
      sparkplaneMs: Math.round(sparkplaneMs),
      sparkMs: Math.round(sparkMs),
      ratio: Math.round((sparkplaneMs / sparkMs) * 100) / 100,
      ...extra,
    }),
  );
}

async function sparkPiFigures(env: Record<string, string>): Promise<void> {
  const runs = await bothSides(env, { workers: 2 }, async (t) => {
    await runSparkPi(t, 0); // warm-up: page cache, JIT of the control plane
    const all: Run[] = [];
    for (let i = 1; i <= RUNS; i++) all.push(await runSparkPi(t, i));
    return all;
  });
  const parameters = {
    job: 'SparkPi',
    slices: SLICES,
    workers: 2,
    coresPerWorker: 2,
    executors: EXECUTORS,
    runs: RUNS,
  };
  for (const [figure, key] of [
    ['create → driver JVM', 'driverJvmMs'],
    ['context → executors', 'contextToExecutorsMs'],
    ['SparkPi end to end', 'endToEndMs'],
  ] as const) {
    for (const p of [50, 99]) {
      const at = (side: Run[]) =>
        percentile(
          side.map((r) => r[key]),
          p,
        );
      print(figure, { ...parameters, percentile: p }, at(runs.sparkplane), at(runs.spark));
    }
  }
}

/**
 * A PySpark client with an executor on each of 2 workers, holding them (jobs.py hold) while
 * `during` runs; then released, it must finish. What `during` gives back, and whether it did.
 */
async function whileHolding<T>(
  master: string,
  clientArgs: readonly string[],
  during: (driverLog: () => string) => Promise<T>,
): Promise<{ value: T; finished: boolean; log: string }> {
  const go = join(mkdtempSync(join(tmpdir(), 'sparkplane-bench-hold-')), 'go');
  const run = clientDriver(master, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
    ...clientArgs,
    jobs,
    'hold',
    go,
  ]);
  try {
    await until(
      `the client on ${master} to hold`,
      async () => (run.out().includes('holding') ? true : undefined),
      50,
    );
    const value = await during(run.err);
    writeFileSync(go, '');
    return { value, finished: (await run.exit) === 0, log: run.err() };
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}

/** A worker lost under a holding client: the time until its replacement executor registered. */
async function lossOnce(t: Target): Promise<number> {
  const registered = (log: string) => log.split('Registered executor ').length - 1;
  const { value, finished, log } = await whileHolding(
    t.clientMaster,
    t.clientArgs,
    async (driverLog) => {
      if (registered(driverLog()) !== 2)
        throw new Error(`the client on ${t.master} has not 2 executors`);
      const lostAt = Date.now();
      t.loseWorker(0);
      const replacedAt = await until(
        `a replacement executor on ${t.master}`,
        async () => (registered(driverLog()) >= 3 ? Date.now() : undefined),
        20,
      );
      return replacedAt - lostAt;
    },
  );
  if (!finished) throw new Error(`the client on ${t.master} failed: ${log.slice(-2000)}`);
  return value;
}

async function lossFigures(env: Record<string, string>): Promise<void> {
  for (const [timeouts, props] of [
    ['each its default', undefined],
    ['10 s on both', { 'spark.worker.timeout': '10' }],
  ] as const) {
    const times: { sparkplane: number[]; spark: number[] } = { sparkplane: [], spark: [] };
    for (let i = 0; i < LOSS_RUNS; i++) {
      const one = await bothSides(env, { workers: 2, ...(props ? { props } : {}) }, lossOnce);
      times.sparkplane.push(one.sparkplane);
      times.spark.push(one.spark);
    }
    const p50 = (xs: number[]) => percentile(xs, 50);
    print(
      'worker lost → executor replaced',
      { workerTimeout: timeouts, runs: LOSS_RUNS, percentile: 50 },
      p50(times.sparkplane),
      p50(times.spark),
    );
  }
}

/** A DriverExit (no SparkContext) submitted until the master takes it, then RUNNING. */
async function nextDriverRunning(restUrl: string, masterUrl: string): Promise<number> {
  const body = JSON.stringify(
    createRequest(`file:${examplesJar}`, {
      mainClass: 'sparkplane.examples.DriverExit',
      args: ['30', '0'],
      props: {
        'spark.master': masterUrl,
        'spark.app.name': 'after',
        'spark.driver.memory': '512m',
      },
    }),
  );
  const id = await until(
    `the restarted master at ${restUrl} to take a driver`,
    async () => {
      try {
        const answer = (await (
          await fetch(`${restUrl}/v1/submissions/create`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
        ).json()) as { success: boolean; submissionId?: string };
        return answer.success ? answer.submissionId : undefined;
      } catch {
        return undefined; // not listening yet
      }
    },
    20,
  );
  return until(
    `driver ${id} to run`,
    async () => {
      const s = (await (await fetch(`${restUrl}/v1/submissions/status/${id}`)).json()) as {
        driverState?: string;
      };
      return s.driverState === 'RUNNING' ? Date.now() : undefined;
    },
    20,
  );
}

interface Recovery {
  readonly ms: number;
  /** The application held across the loss: it finished its job and exited 0. */
  readonly applicationFinished: boolean;
}

/** A master that can be lost and started again on its recovery state, with a client on it. */
interface Recoverable {
  readonly restUrl: string;
  readonly masterUrl: string;
  readonly clientMaster: string;
  readonly clientArgs: readonly string[];
  lose(): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function recoverOnce(t: Recoverable): Promise<Recovery> {
  try {
    const { value, finished } = await whileHolding(t.clientMaster, t.clientArgs, async () => {
      const lostAt = Date.now();
      t.lose();
      await t.restart();
      return (await nextDriverRunning(t.restUrl, t.masterUrl)) - lostAt;
    });
    return { ms: value, applicationFinished: finished };
  } finally {
    await t.stop();
  }
}

/** Spark: Master and Workers, recoveryMode FILESYSTEM; its master SIGKILLed and restarted. */
async function sparkRecoverable(env: Record<string, string>): Promise<Recoverable> {
  const s = await startSparkStandalone({
    sparkHome: env.SPARK_HOME as string,
    workers: [
      { cores: 2, memory: '2g' },
      { cores: 2, memory: '2g' },
    ],
    env: { ...process.env, ...env },
    masterProperties: {
      'spark.deploy.recoveryMode': 'FILESYSTEM',
      'spark.deploy.recoveryDirectory': mkdtempSync(
        join(tmpdir(), 'sparkplane-bench-spark-recovery-'),
      ),
    },
  });
  return {
    restUrl: s.restUrl,
    masterUrl: s.masterUrl,
    clientMaster: s.masterUrl,
    clientArgs: [],
    lose: () => s.loseMaster(),
    restart: () => s.restartMaster(),
    stop: () => s.stop(),
  };
}

/** sparkplane: `npm start` with a --data-dir, its process group SIGKILLed, started again. */
async function sparkplaneRecoverable(env: Record<string, string>): Promise<Recoverable> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sparkplane-bench-data-'));
  const port = await freePort();
  const start = () =>
    startLocalMain({
      dataDir,
      port,
      workers: 2,
      cores: 2,
      memory: '2g',
      env: { ...process.env, ...env },
    });
  let stack = await start();
  const url = `http://127.0.0.1:${port}`;
  return {
    restUrl: url,
    masterUrl: `spark://127.0.0.1:${port}`,
    clientMaster: `sparkplane://127.0.0.1:${port}`,
    clientArgs: ['--jars', pluginJar],
    lose: () => stack.lose(),
    restart: async () => {
      stack = await start();
    },
    stop: () => stack.stop(),
  };
}

async function recoveryFigure(env: Record<string, string>): Promise<void> {
  const sparkplaneSide = await recoverOnce(await sparkplaneRecoverable(env));
  const sparkSide = await recoverOnce(await sparkRecoverable(env));
  print(
    'master SIGKILLed and restarted → next driver RUNNING',
    {
      recovery: 'sparkplane: npm start --data-dir; Spark: recoveryMode FILESYSTEM',
      sparkplaneApplicationFinished: sparkplaneSide.applicationFinished,
      sparkApplicationFinished: sparkSide.applicationFinished,
    },
    sparkplaneSide.ms,
    sparkSide.ms,
  );
}

const BURST = 100;
const IN_FLIGHT = 50;

/** BURST creates, IN_FLIGHT at a time: each one's latency and the wall time. */
async function burstOnce(t: Target, n: number): Promise<{ latencies: number[]; wallMs: number }> {
  const body = JSON.stringify(
    createRequest(`file:${examplesJar}`, {
      mainClass: 'sparkplane.examples.SparkPi',
      args: ['2'],
      props: {
        'spark.master': t.masterUrl,
        'spark.app.name': 'burst',
        'spark.driver.memory': '512m',
      },
    }),
  );
  const latencies: number[] = [];
  let next = 0;
  const started = Date.now();
  const lane = async () => {
    while (next < n) {
      next++;
      const at = performance.now();
      const answer = (await (
        await fetch(`${t.restUrl}/v1/submissions/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
      ).json()) as { success: boolean; message?: string };
      if (!answer.success) throw new Error(`${t.master} refused a create: ${answer.message}`);
      latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const wallMs = Date.now() - started;
  await fetch(`${t.restUrl}/v1/submissions/killall`, { method: 'POST' });
  return { latencies, wallMs };
}

async function burstFigures(env: Record<string, string>): Promise<void> {
  const r = await bothSides(env, { workers: 0 }, async (t) => {
    await burstOnce(t, 20); // warm-up
    return burstOnce(t, BURST);
  });
  const parameters = { creates: BURST, inFlight: IN_FLIGHT, workers: 0 };
  for (const p of [50, 99]) {
    print(
      'create latency',
      { ...parameters, percentile: p },
      percentile(r.sparkplane.latencies, p),
      percentile(r.spark.latencies, p),
    );
  }
  const perS = (ms: number) => Math.round((BURST / ms) * 1000 * 10) / 10;
  print('burst wall time', parameters, r.sparkplane.wallMs, r.spark.wallMs, {
    sparkplanePerS: perS(r.sparkplane.wallMs),
    sparkPerS: perS(r.spark.wallMs),
  });
}

const FIGURES = {
  burst: burstFigures,
  sparkpi: sparkPiFigures,
  loss: lossFigures,
  recovery: recoveryFigure,
};

/** Every figure, or those BENCH_VS_SPARK_ONLY names (comma-separated keys of FIGURES). */
export async function vsSparkBench(): Promise<void> {
  const env = sparkEnvironment();
  const only = process.env.BENCH_VS_SPARK_ONLY?.split(',');
  for (const [name, figure] of Object.entries(FIGURES)) {
    if (!only || only.includes(name)) await figure(env);
  }
}

interface Run {
  driverJvmMs: number;
  contextToExecutorsMs: number;
  endToEndMs: number;
}

async function runSparkPi(t: Target, i: number): Promise<Run> {
  const jar = `file:${examplesJar}`;
  const at = Date.now();
  const answer = (await (
    await fetch(`${t.restUrl}/v1/submissions/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        createRequest(jar, {
          mainClass: 'sparkplane.examples.SparkPi',
          args: [String(SLICES)],
          props: {
            'spark.master': t.masterUrl,
            'spark.app.name': `bench SparkPi ${i}`,
            'spark.jars': jar,
            'spark.driver.memory': '512m',
            'spark.executor.memory': '512m',
            'spark.cores.max': String(EXECUTORS),
            'spark.executor.cores': '1',
            'spark.ui.enabled': 'false',
            'spark.submit.deployMode': 'cluster',
            // Tasks wait for every executor, so each run has all of them register.
            'spark.scheduler.minRegisteredResourcesRatio': '1.0',
            'spark.scheduler.maxRegisteredResourcesWaitingTime': '120s',
          },
        }),
      ),
    })
  ).json()) as { submissionId?: string; success: boolean; message?: string };
  if (!answer.success || !answer.submissionId) {
    throw new Error(`${t.master} refused SparkPi: ${answer.message}`);
  }
  const id = answer.submissionId;
  const seen: Record<string, number> = {};
  const marks = {
    jvm: "Using Spark's default log4j profile",
    context: 'Running Spark version',
  };
  let finishedAt: number | undefined;
  let lastStatus = 0;
  await until(
    `SparkPi ${id} on ${t.master}`,
    async () => {
      const now = Date.now();
      const dir = t.workDirs.map((d) => join(d, id, 'stderr')).find((f) => existsSync(f));
      if (dir) {
        const log = readFileSync(dir, 'utf8');
        for (const [name, text] of Object.entries(marks)) {
          if (seen[name] === undefined && log.includes(text)) seen[name] = now;
        }
        if (
          seen.executors === undefined &&
          log.split('Registered executor ').length - 1 >= EXECUTORS
        ) {
          seen.executors = now;
        }
      }
      if (now - lastStatus >= 100) {
        lastStatus = now;
        const s = (await (await fetch(`${t.restUrl}/v1/submissions/status/${id}`)).json()) as {
          driverState?: string;
        };
        if (s.driverState === 'FINISHED') finishedAt = Date.now();
        else if (
          s.driverState &&
          !['SUBMITTED', 'RUNNING', 'RELAUNCHING'].includes(s.driverState)
        ) {
          throw new Error(`SparkPi ${id} on ${t.master} ended ${s.driverState}`);
        }
      }
      return finishedAt;
    },
    20,
  );
  const { jvm, context, executors } = seen;
  if (
    jvm === undefined ||
    context === undefined ||
    executors === undefined ||
    finishedAt === undefined
  ) {
    throw new Error(
      `SparkPi ${id} on ${t.master}: its log lacks a marker (${JSON.stringify(seen)})`,
    );
  }
  return {
    driverJvmMs: jvm - at,
    contextToExecutorsMs: executors - context,
    endToEndMs: finishedAt - at,
  };
}
