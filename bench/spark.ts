// Real Spark on sparkplane, side by side with Spark's own standalone master in the same run:
// the same SparkPi (the project's jar; 2 executors of 1 core on 2 workers of 2 cores) is
// submitted over Spark's REST protocol to each, BENCH_SPARK_RUNS times after one warm-up.
// Tasks wait until every executor registered (minRegisteredResourcesRatio 1.0).
// Figures per master, from the driver's own log as it is written (read every 20 ms):
//   createToDriverJvm       REST create → the driver JVM's Spark logging is up
//   contextToExecutors      SparkContext starting → every executor registered with it
//   endToEnd                REST create → the driver FINISHED (status polled every 100 ms)
// Spark's worker starts its driver's JVM directly (DriverWrapper); a sparkplane worker runs
// spark-submit, which starts a launcher JVM first.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { examplesJar, sparkEnvironment } from '../lib/local/spark.js';
import { freePort, startSparkStandalone } from '../test/harness/spark-standalone.js';
import { startLocalStack } from './local-stack.js';
import { percentile } from './stats.js';

const RUNS = Number(process.env.BENCH_SPARK_RUNS ?? 10);
const SLICES = 4;
const EXECUTORS = 2;

interface Target {
  readonly master: string;
  readonly restUrl: string;
  readonly masterUrl: string;
  /** Where the drivers' work directories appear. */
  readonly workDirs: readonly string[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, pollMs: number) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`spark bench: timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

async function sparkplane(env: Record<string, string>): Promise<Target> {
  const stack = await startLocalStack({ cores: 2, memory: '2g', firstPort: await freePort(), env });
  return {
    master: 'sparkplane',
    restUrl: stack.url,
    masterUrl: `spark://${new URL(stack.url).host}`,
    ...stack,
  };
}

/** Spark's own Master (REST server on) and two Workers, from the same SPARK_HOME. */
async function sparkMaster(env: Record<string, string>): Promise<Target> {
  const spark = await startSparkStandalone({
    sparkHome: env.SPARK_HOME as string,
    workers: [
      { cores: 2, memory: '2g' },
      { cores: 2, memory: '2g' },
    ],
    env: { ...process.env, ...env },
  });
  return { master: 'spark', ...spark };
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
      body: JSON.stringify({
        action: 'CreateSubmissionRequest',
        appResource: jar,
        mainClass: 'sparkplane.examples.SparkPi',
        appArgs: [String(SLICES)],
        clientSparkVersion: '4.1.1',
        sparkProperties: {
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
        environmentVariables: {},
      }),
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

export async function sparkBench(): Promise<void> {
  const env = sparkEnvironment();
  for (const make of [sparkplane, sparkMaster]) {
    const t = await make(env);
    try {
      await runSparkPi(t, 0); // warm-up: page cache, JIT of the control plane
      const runs: Run[] = [];
      for (let i = 1; i <= RUNS; i++) runs.push(await runSparkPi(t, i));
      const fig = (k: keyof Run) => ({
        [`${k.replace(/Ms$/, '')}P50Ms`]: percentile(
          runs.map((r) => r[k]),
          50,
        ),
        [`${k.replace(/Ms$/, '')}P99Ms`]: percentile(
          runs.map((r) => r[k]),
          99,
        ),
      });
      console.log(
        JSON.stringify({
          bench: 'spark',
          master: t.master,
          job: 'SparkPi',
          slices: SLICES,
          workers: 2,
          coresPerWorker: 2,
          executors: EXECUTORS,
          runs: RUNS,
          ...fig('driverJvmMs'),
          ...fig('contextToExecutorsMs'),
          ...fig('endToEndMs'),
        }),
      );
    } finally {
      await t.stop();
    }
  }
}
