// Real Spark through sparkplane: Spark 4.1.1's own drivers (spark-submit, PySpark) and
// CoarseGrainedExecutorBackends, placed by the control plane on real worker agents.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { examplesJar, pluginJar, sparkHome } from '../../lib/local/spark.js';
import { processesUnder } from '../harness/lose-worker.js';
import { clientDriver, SMALL_SPARK, sparkSubmit } from '../harness/spark-submit.js';
import {
  type Cluster,
  type ClusterOptions,
  fixture,
  followLog,
  loseWorker,
  readLog,
  startCluster,
} from './cluster.js';

const SPARK_HOME = sparkHome();
const jobs = fixture('jobs.py');
const ENDED = new Set(['FINISHED', 'FAILED', 'KILLED', 'ERROR']);
const TIMEOUT = 240_000;

interface AppView {
  id: string;
  state: string;
  executors: { executorId: number; workerId: string; state: string; exitStatus?: number }[];
}

const clusters: Cluster[] = [];
const clients: ChildProcess[] = [];

async function cluster(options: ClusterOptions = {}): Promise<Cluster> {
  const c = await startCluster({ workers: 2, cores: 2, spark: true, ...options });
  clusters.push(c);
  return c;
}

afterEach(async () => {
  for (const p of clients.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
});

/** Spark's REST create, as Spark's docs write it: spark-submit's arguments in appArgs. */
async function submit(c: Cluster, props: Record<string, string>, appArgs: string[]) {
  const answer = await c.post('/v1/submissions/create', {
    action: 'CreateSubmissionRequest',
    appResource: '',
    mainClass: 'org.apache.spark.deploy.SparkSubmit',
    appArgs,
    clientSparkVersion: '4.1.1',
    sparkProperties: { 'spark.master': 'spark://master:7077', ...SMALL_SPARK, ...props },
    environmentVariables: {},
  });
  expect(answer.success).toBe(true);
  return String(answer.submissionId);
}

const status = async (c: Cluster, id: string) =>
  (await c.get(`/v1/submissions/status/${id}`)) as { driverState: string; workerId?: string };

const ended = (c: Cluster, id: string, timeoutMs = 180_000) =>
  c.until(
    `driver ${id} to end`,
    async () => {
      const s = await status(c, id);
      return ENDED.has(s.driverState) ? s.driverState : undefined;
    },
    timeoutMs,
  );

/** A driver's stdout or stderr, from the work directory of whichever worker ran it. */
function driverLog(c: Cluster, id: string, name: 'stdout' | 'stderr'): string {
  for (const dir of c.workDirs) {
    const file = join(dir, id, name);
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return '';
}

const appIdIn = (log: string) => /with app ID (app-\S+)/.exec(log)?.[1];

const app = async (c: Cluster, appId: string) =>
  (await c.get(`/v1/applications/${appId}`)) as unknown as AppView;

const live = (a: AppView) => a.executors.filter((e) => e.state === 'RUNNING');

/** The application once exactly `n` of its executors are RUNNING. */
const running = (c: Cluster, appId: string, n: number) =>
  c.until(
    `${n} running executor(s)`,
    async () => {
      const a = await app(c, appId);
      return live(a).length === n ? a : undefined;
    },
    120_000,
  );

/** Once a client's output holds `text`. */
const printed = (c: Cluster, run: { out(): string }, text: string) =>
  c.until(`"${text}"`, async () => (run.out().includes(text) ? true : undefined), 120_000);

/** Client mode from outside the cluster: stock spark-submit with the plugin jar. */
function client(c: Cluster, props: Record<string, string>, args: string[]) {
  const run = clientDriver(`sparkplane://${new URL(c.url).host}`, props, [
    '--jars',
    pluginJar,
    ...args,
  ]);
  clients.push(run.child);
  return {
    ...run,
    appId: () => c.until('the client to register', async () => appIdIn(run.err()), 90_000),
  };
}

const release = () => join(mkdtempSync(join(tmpdir(), 'sparkplane-release-')), 'go');

describe('real Spark drivers submitted over REST', () => {
  it(
    "Spark's docs request runs pi.py: FINISHED, Pi printed, one executor on each worker",
    async () => {
      const c = await cluster();
      const id = await submit(
        c,
        { 'spark.app.name': 'Spark Pi', 'spark.cores.max': '2', 'spark.executor.cores': '1' },
        [join(SPARK_HOME, 'examples/src/main/python/pi.py'), '20'],
      );
      // Its stderr followed through the API while it runs.
      let whileRunning = '';
      const stderr = await followLog(c, `/v1/drivers/${id}/logs/stderr`, (text) => {
        if (!whileRunning && /with app ID/.test(text)) whileRunning = text;
      });
      expect(whileRunning).toMatch(/SparkContext: Running Spark version 4\.1\.1/);
      expect(await ended(c, id)).toBe('FINISHED');
      const stdout = (await readLog(c, `/v1/drivers/${id}/logs/stdout`)).text;
      expect(stdout).toMatch(/Pi is roughly 3\.1/);
      expect(stdout).toBe(driverLog(c, id, 'stdout'));
      const appId = appIdIn(stderr);
      expect(appId).toBeDefined();
      const a = await app(c, appId as string);
      expect(a.state).toBe('FINISHED');
      expect(a.executors).toHaveLength(2);
      expect(new Set(a.executors.map((e) => e.workerId)).size).toBe(2);
      const executor = `/v1/applications/${appId}/executors/${a.executors[0]?.executorId}/logs/stderr`;
      const executorStderr = await followLog(c, executor);
      expect(executorStderr).toMatch(/^Spark Executor Command: .*CoarseGrainedExecutorBackend/);
      expect(executorStderr).toMatch(/Successfully registered with driver/);
      // The workers stopped and their work directories deleted: the logs are still there.
      await Promise.all(
        c.workers.map((w) => new Promise((r) => w.once('exit', r).kill('SIGTERM'))),
      );
      for (const dir of c.workDirs) rmSync(dir, { recursive: true, force: true });
      expect((await readLog(c, `/v1/drivers/${id}/logs/stdout`)).text).toBe(stdout);
      expect((await readLog(c, executor)).text).toBe(executorStderr);
    },
    TIMEOUT,
  );

  it(
    'a PySpark DataFrame job with a shuffle over two executors returns the right answer',
    async () => {
      const c = await cluster();
      const id = await submit(
        c,
        {
          'spark.cores.max': '2',
          'spark.executor.cores': '1',
          'spark.sql.shuffle.partitions': '4',
        },
        [jobs, 'groupby'],
      );
      expect(await ended(c, id)).toBe('FINISHED');
      const expected: Record<string, number> = {};
      for (let i = 0; i < 10_000; i++) expected[String(i % 7)] = (expected[String(i % 7)] ?? 0) + 1;
      const line = driverLog(c, id, 'stdout')
        .split('\n')
        .find((l) => l.startsWith('groupby '));
      expect(JSON.parse(line?.slice('groupby '.length) ?? 'null')).toEqual(expected);
      const a = await app(c, appIdIn(driverLog(c, id, 'stderr')) as string);
      expect(new Set(a.executors.map((e) => e.workerId)).size).toBe(2);
    },
    TIMEOUT,
  );

  it(
    'stock spark-submit in cluster mode runs SparkPi; --status and --kill reach it',
    async () => {
      const c = await cluster();
      const submit = async (args: string[]) => {
        const run = sparkSubmit(args);
        return { code: await run.exit, err: run.err() };
      };
      const master = `spark://${new URL(c.url).host}`;
      const cluster_ = ['--master', master, '--deploy-mode', 'cluster'];
      const common = [
        ...['--conf', 'spark.master.rest.enabled=true', '--conf', 'spark.ui.enabled=false'],
        ...['--conf', 'spark.executor.memory=512m', '--driver-memory', '512m'],
        ...['--conf', 'spark.cores.max=2', '--class', 'sparkplane.examples.SparkPi', examplesJar],
      ];
      const created = await submit([...cluster_, ...common, '10']);
      expect(created.code).toBe(0);
      const id = /Submission successfully created as (driver-\S+)\./.exec(
        created.err,
      )?.[1] as string;
      expect(id).toBeDefined();
      expect(await ended(c, id)).toBe('FINISHED');
      expect(driverLog(c, id, 'stdout')).toMatch(/Pi is roughly 3\.1/);
      const asked = await submit(['--master', master, '--status', id]);
      expect(asked.code).toBe(0);
      expect(asked.err).not.toMatch(/ERROR|Exception/);

      // A SparkPi of 100,000 slices runs until it is killed.
      const long = await submit([...cluster_, ...common, '100000']);
      const longId = /Submission successfully created as (driver-\S+)\./.exec(
        long.err,
      )?.[1] as string;
      const appId = await c.until(
        'SparkPi to get executors',
        async () => {
          const found = appIdIn(driverLog(c, longId, 'stderr'));
          return found && live(await app(c, found)).length === 2 ? found : undefined;
        },
        120_000,
      );
      const killed = await submit(['--master', master, '--kill', longId]);
      expect(killed.code).toBe(0);
      expect(await ended(c, longId)).toBe('KILLED');
      await c.until(
        'the application to end and free its cores',
        async () => {
          const [a, json] = await Promise.all([app(c, appId), c.get('/json')]);
          return a.state !== 'RUNNING' && a.state !== 'WAITING' && json.coresused === 0
            ? true
            : undefined;
        },
        60_000,
      );
    },
    TIMEOUT,
  );
});

describe('client mode from outside the cluster', () => {
  for (const spreadOut of [true, false]) {
    it(
      `places a PySpark client's executors as Spark does with spreadOut ${spreadOut}`,
      async () => {
        const c = await cluster({
          sparkProperties: { 'spark.deploy.spreadOutApps': String(spreadOut) },
        });
        const go = release();
        const run = client(c, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
          jobs,
          'hold',
          go,
        ]);
        const appId = await run.appId();
        const held = await running(c, appId, 2);
        await printed(c, run, 'holding');
        expect(new Set(live(held).map((e) => e.workerId)).size).toBe(spreadOut ? 2 : 1);
        writeFileSync(go, '');
        expect(await run.exit).toBe(0);
        expect((await app(c, appId)).state).toBe('FINISHED');
      },
      TIMEOUT,
    );
  }

  it(
    "a kill from the UI ends a running job with Spark's message",
    async () => {
      const c = await cluster();
      // One executor and tasks of a minute: the job is running when the kill comes.
      const run = client(c, { 'spark.cores.max': '1' }, [jobs, 'slow', '4', '60']);
      const appId = await run.appId();
      await running(c, appId, 1);
      expect(await c.post(`/v1/applications/${appId}/kill`)).toEqual({ appId, state: 'KILLED' });
      expect(await run.exit).not.toBe(0);
      expect(run.err()).toContain(
        'Application has been killed. Reason: Master removed our application: KILLED',
      );
      expect(run.out()).not.toContain('slow done');
      await c.until('its executor to go', async () =>
        (await c.get('/json')).coresused === 0 ? true : undefined,
      );
    },
    TIMEOUT,
  );

  it(
    'dynamic allocation: executors come under load and go when idle',
    async () => {
      const c = await cluster();
      const go = release();
      const run = client(
        c,
        {
          'spark.dynamicAllocation.enabled': 'true',
          'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
          'spark.dynamicAllocation.minExecutors': '0',
          'spark.dynamicAllocation.maxExecutors': '2',
          'spark.dynamicAllocation.schedulerBacklogTimeout': '1s',
          'spark.dynamicAllocation.executorIdleTimeout': '3s',
          'spark.executor.cores': '1',
        },
        [jobs, 'dynamic', go],
      );
      const appId = await run.appId();
      // Registered with no executors: the allocation manager asks when tasks wait.
      await running(c, appId, 2);
      await printed(c, run, 'burst done 8');
      const idle = await c.until(
        'idle executors to go',
        async () => {
          const a = await app(c, appId);
          return a.executors.length >= 2 && live(a).length === 0 ? a : undefined;
        },
        60_000,
      );
      expect(idle.executors.every((e) => e.state === 'KILLED' || e.state === 'EXITED')).toBe(true);
      const json = await c.get('/json');
      const active = (json.activeapps as { id: string; cores: number }[]).find(
        (x) => x.id === appId,
      );
      expect(active?.cores).toBe(0);
      writeFileSync(go, '');
      expect(await run.exit).toBe(0);
    },
    TIMEOUT,
  );
});

describe('with auth on', () => {
  it(
    "a REST driver calls with its LaunchDriver's token; a client with spark.sparkplane.token",
    async () => {
      const c = await cluster({ auth: true });
      const id = await submit(c, { 'spark.cores.max': '1' }, [jobs, 'slow', '2', '0']);
      expect(await ended(c, id)).toBe('FINISHED');
      expect(driverLog(c, id, 'stdout')).toContain('slow done 2');

      const refused = client(c, { 'spark.cores.max': '1' }, [jobs, 'slow', '2', '0']);
      expect(await refused.exit).not.toBe(0);
      expect(refused.err()).toMatch(
        /Could not register with sparkplane at sparkplane:\/\/\S+: Registering the application answered 401/,
      );
      const allowed = client(
        c,
        { 'spark.cores.max': '1', 'spark.sparkplane.token': c.token as string },
        [jobs, 'slow', '2', '0'],
      );
      expect(await allowed.exit).toBe(0);
      expect(allowed.out()).toContain('slow done 2');
    },
    TIMEOUT,
  );
});

describe('faults with real Spark', () => {
  it(
    'a worker lost during a job: its executor LOST, Spark asks again, the job completes',
    async () => {
      const c = await cluster({ sparkProperties: { 'spark.worker.timeout': '3' } });
      const run = client(c, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
        jobs,
        'slow',
        '12',
        '2',
      ]);
      const appId = await run.appId();
      const before = await running(c, appId, 2);
      const doomed = before.executors[0]?.workerId as string;
      const index = c.workDirs.findIndex((d) =>
        existsSync(join(d, appId, String(before.executors[0]?.executorId))),
      );
      expect(index).toBeGreaterThanOrEqual(0);
      loseWorker(c, index);
      expect(await run.exit).toBe(0);
      expect(run.out()).toContain('slow done 12');
      const after = await app(c, appId);
      expect(after.executors.find((e) => e.workerId === doomed)?.state).toBe('LOST');
      expect(after.executors.length).toBeGreaterThanOrEqual(3);
    },
    TIMEOUT,
  );

  it(
    'executors that cannot start end the application after maxExecutorRetries, with Spark’s message',
    async () => {
      const c = await cluster({
        sparkProperties: { 'spark.deploy.maxExecutorRetries': '2' },
        // A worker whose Java is gone: every executor launch fails.
        workerEnv: { JAVA_HOME: '/nonexistent/java' },
      });
      const run = client(c, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
        jobs,
        'hold',
        release(),
      ]);
      const appId = await run.appId();
      expect(await run.exit).not.toBe(0);
      expect(run.err()).toContain('Master removed our application: FAILED');
      const a = await app(c, appId);
      expect(a.state).toBe('FAILED');
      // Each launch failed; one still launching when the application ended was killed.
      expect(a.executors.filter((e) => e.state === 'FAILED').length).toBeGreaterThanOrEqual(2);
      expect(a.executors.every((e) => e.state === 'FAILED' || e.state === 'KILLED')).toBe(true);
    },
    TIMEOUT,
  );
});

describe('application liveness: nothing held by a driver that is gone', () => {
  it(
    "a driver SIGKILLed while its application holds executors: the application ends at once, Spark's disconnect",
    async () => {
      // A lease longer than the test: only the driver's end can end the application.
      const c = await cluster({ sparkProperties: { 'spark.sparkplane.app.timeout': '10min' } });
      const id = await submit(c, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
        jobs,
        'hold',
        release(),
      ]);
      const appId = await c.until('the driver to register', async () =>
        appIdIn(driverLog(c, id, 'stderr')),
      );
      await running(c, appId, 2);
      const dirs = c.workDirs.map((d) => join(d, id));
      const driver = dirs.flatMap(processesUnder);
      expect(driver.length).toBeGreaterThan(0);
      for (const { pid } of driver) process.kill(pid, 'SIGKILL');
      expect(await ended(c, id)).toBe('FAILED');
      const a = await c.until('the application to end', async () => {
        const view = await app(c, appId);
        return view.state === 'FINISHED' ? view : undefined;
      });
      expect(live(a)).toEqual([]);
      await c.until('its capacity back', async () =>
        (await c.get('/json')).coresused === 0 ? true : undefined,
      );
    },
    TIMEOUT,
  );

  it(
    'a client-mode driver that stops renewing: its application ends after spark.sparkplane.app.timeout',
    async () => {
      const c = await cluster({ sparkProperties: { 'spark.sparkplane.app.timeout': '5s' } });
      const run = client(c, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
        jobs,
        'hold',
        release(),
      ]);
      const appId = await run.appId();
      await running(c, appId, 2);
      await printed(c, run, 'holding');
      // Polling renews the lease: the application outlives its timeout while its driver lives.
      await new Promise((r) => setTimeout(r, 7_000));
      expect((await app(c, appId)).state).toBe('RUNNING');
      run.child.kill('SIGKILL');
      const a = await c.until(
        'the application to end',
        async () => {
          const view = await app(c, appId);
          return view.state === 'FINISHED' ? view : undefined;
        },
        30_000,
      );
      expect(live(a)).toEqual([]);
      await c.until('its executors gone', async () =>
        (await c.get('/json')).coresused === 0 ? true : undefined,
      );
    },
    TIMEOUT,
  );
});

afterAll(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
});

beforeAll(() => {
  expect(existsSync(pluginJar)).toBe(true);
});
