// End to end on one machine: real worker agent processes, real HTTP, the local stack.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesUnder } from '../harness/lose-worker.js';
import { createRequest } from '../harness/spark-submit.js';
import { type Cluster, example, fixture, startCluster } from './cluster.js';

type Json = Record<string, unknown>;
const FINAL = ['FINISHED', 'FAILED', 'KILLED', 'ERROR'];

async function submit(c: Cluster, body: unknown): Promise<string> {
  const created = await c.post('/v1/submissions/create', body);
  expect(created.success).toBe(true);
  return String(created.submissionId);
}

const status = (c: Cluster, id: string) => c.get(`/v1/submissions/status/${id}`);

/** Follows a driver until a final state, collecting every state seen. */
async function follow(
  c: Cluster,
  id: string,
  timeoutMs = 60_000,
): Promise<{ seen: string[]; last: Json }> {
  const seen: string[] = [];
  const last = await c.until(
    `driver ${id} to end`,
    async () => {
      const s = await status(c, id);
      const state = String(s.driverState);
      if (seen.at(-1) !== state) seen.push(state);
      return FINAL.includes(state) ? s : undefined;
    },
    timeoutMs,
  );
  return { seen, last };
}

function stdoutOf(c: Cluster, driverId: string): string {
  for (const dir of c.workDirs) {
    try {
      return readFileSync(join(dir, driverId, 'stdout'), 'utf8');
    } catch {}
  }
  throw new Error(`no stdout for ${driverId}`);
}

/** The application a driver registered, by its driver's id. */
async function appOf(c: Cluster, name: string): Promise<Json> {
  return c.until(`application ${name}`, async () => {
    const { activeapps, completedapps } = await c.get('/json');
    const all = [...(activeapps as Json[]), ...(completedapps as Json[])];
    return all.find((a) => a.name === name);
  });
}

const coresUsed = async (c: Cluster) => Number((await c.get('/json/coresused')).coresused);

describe('the local stack, spread out (Spark defaults)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ sparkProperties: { 'spark.deploy.maxExecutorRetries': '3' } });
  });
  afterAll(() => c?.stop());

  it("Spark's docs create request is accepted and ends in ERROR: no spark-submit here", async () => {
    const docs = createRequest('', {
      mainClass: 'org.apache.spark.deploy.SparkSubmit',
      args: ['/opt/spark/examples/src/main/python/pi.py', '10'],
      props: {
        'spark.master': 'spark://master:7077',
        'spark.app.name': 'Spark Pi',
        'spark.jars': '',
      },
    });
    const id = await submit(c, docs);
    const { seen, last } = await follow(c, id);
    expect(seen.at(-1)).toBe('ERROR');
    expect(seen.every((s) => ['SUBMITTED', 'RUNNING', 'ERROR'].includes(s))).toBe(true);
    expect(String(last.message)).toMatch(/^Exception from the cluster:\nspark-submit not found/);
    expect(last.workerId).toBeDefined();
    expect(await coresUsed(c)).toBe(0);
  });

  it('the example application computes π on executors spread over both workers', async () => {
    const id = await submit(
      c,
      createRequest(example, {
        args: ['8', '100000'],
        props: { 'spark.app.name': 'pi spread', 'spark.cores.max': '4' },
      }),
    );
    const { last } = await follow(c, id);
    expect(last.driverState).toBe('FINISHED');
    const out = stdoutOf(c, id);
    const pi = Number(/Pi is roughly ([0-9.]+)/.exec(out)?.[1]);
    expect(Math.abs(pi - Math.PI)).toBeLessThan(0.01);
    const app = await appOf(c, 'pi spread');
    const detail = await c.get(`/v1/applications/${app.id}`);
    expect(detail.state).toBe('FINISHED');
    const hosts = new Set((detail.executors as Json[]).map((e) => e.workerId));
    expect(hosts.size).toBe(2);
    expect(await coresUsed(c)).toBe(0);
  });

  it('kill stops a running driver and its executors; killall the rest; capacity returns', async () => {
    const id = await submit(
      c,
      createRequest(example, {
        args: ['1000', '50000000'],
        props: { 'spark.app.name': 'pi killed', 'spark.cores.max': '2' },
      }),
    );
    const app = await appOf(c, 'pi killed');
    await c.until('executors running', async () => {
      const d = await c.get(`/v1/applications/${app.id}`);
      const executors = d.executors as Json[];
      return executors.length > 0 && executors.every((e) => e.state === 'RUNNING')
        ? true
        : undefined;
    });
    expect((await c.post(`/v1/submissions/kill/${id}`)).success).toBe(true);
    const { last } = await follow(c, id);
    expect(['KILLED', 'FINISHED', 'FAILED']).toContain(last.driverState);
    await c.until('executors killed', async () => {
      const d = await c.get(`/v1/applications/${app.id}`);
      return (d.executors as Json[]).every((e) => e.state === 'KILLED') ? true : undefined;
    });

    const sleepers = [
      await submit(c, createRequest(fixture('sleep.mjs'))),
      await submit(c, createRequest(fixture('sleep.mjs'))),
    ];
    await c.until('both running', async () => {
      const states = await Promise.all(sleepers.map(async (s) => (await status(c, s)).driverState));
      return states.every((s) => s === 'RUNNING') ? true : undefined;
    });
    expect((await c.post('/v1/submissions/killall')).success).toBe(true);
    for (const s of sleepers) expect((await follow(c, s)).last.driverState).toBe('KILLED');
    await c.until('capacity back', async () => ((await coresUsed(c)) === 0 ? true : undefined));
  });

  it('executors that always fail make the application FAILED after maxExecutorRetries', async () => {
    const id = await submit(
      c,
      createRequest(example, {
        args: ['4'],
        props: {
          'spark.app.name': 'pi failing',
          'spark.cores.max': '2',
          'sparkplane.example.failExecutors': 'true',
        },
      }),
    );
    const app = await appOf(c, 'pi failing');
    const failed = await c.until('the application to fail', async () => {
      const d = await c.get(`/v1/applications/${app.id}`);
      return d.state === 'FAILED' ? d : undefined;
    });
    expect(failed.retryCount).toBe(3);
    const executors = failed.executors as Json[];
    expect(executors.filter((e) => e.state === 'FAILED').length).toBe(3);
    // The example's executors ask for a Java this worker cannot start.
    expect(String(executors[0]?.message)).toMatch(
      /^Failed to launch executor: SPARK_HOME is not set/,
    );
    const { last } = await follow(c, id);
    expect(last.driverState).toBe('FAILED');
  });
});

describe('consolidated (spark.deploy.spreadOutApps=false)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ sparkProperties: { 'spark.deploy.spreadOutApps': 'false' } });
  });
  afterAll(() => c?.stop());

  it('the example application runs its executors on one worker', async () => {
    const id = await submit(
      c,
      createRequest(example, {
        args: ['8', '100000'],
        props: { 'spark.app.name': 'pi consolidated', 'spark.cores.max': '4' },
      }),
    );
    expect((await follow(c, id)).last.driverState).toBe('FINISHED');
    const app = await appOf(c, 'pi consolidated');
    const detail = await c.get(`/v1/applications/${app.id}`);
    const executors = detail.executors as Json[];
    expect(executors.length).toBeGreaterThanOrEqual(4);
    expect(new Set(executors.map((e) => e.workerId)).size).toBe(1);
  });
});

describe('worker agents that fail', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ workers: 3, sparkProperties: { 'spark.worker.timeout': '3' } });
  });
  afterAll(() => c?.stop());

  it('a supervised driver that keeps failing is restarted on its worker until killed', async () => {
    const id = await submit(
      c,
      createRequest(fixture('sleep.mjs'), {
        args: ['--exit-after', '100', '--code', '3'],
        props: { 'spark.driver.supervise': 'true' },
      }),
    );
    const placed = await c.until('the driver placed', async () => {
      const s = await status(c, id);
      return s.driverState === 'RUNNING' ? s : undefined;
    });
    // Spark's back-off: restarts after 1 s, then 2 s; the master still sees it RUNNING.
    const launches = () =>
      c.workDirs
        .map((dir) => {
          try {
            return (
              readFileSync(join(dir, id, 'stderr'), 'utf8').split('Launch Command:').length - 1
            );
          } catch {
            return 0;
          }
        })
        .reduce((a, b) => a + b, 0);
    await c.until('two restarts', async () => (launches() >= 3 ? true : undefined), 15_000);
    expect((await status(c, id)).driverState).toBe('RUNNING');
    expect((await status(c, id)).workerId).toBe(placed.workerId);
    await c.post(`/v1/submissions/kill/${id}`);
    expect((await follow(c, id)).last.driverState).toBe('KILLED');
  });
});

/** The worker process behind a worker id: ports are given in order, ids end with the port. */
async function workerIndex(c: Cluster, workerId: string): Promise<number> {
  const port = Number(workerId.split('-').at(-1));
  const workers = ((await c.get('/json')).workers as Json[]).sort(
    (a, b) => Number(a.port) - Number(b.port),
  );
  return workers.findIndex((w) => Number(w.port) === port);
}

const running = (c: Cluster, id: string) =>
  c.until(`driver ${id} running`, async () => {
    const s = await status(c, id);
    return s.driverState === 'RUNNING' ? s : undefined;
  });

describe('a worker stopped with SIGTERM (how ECS stops a task: scale-in, Spot, a deploy)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ sparkProperties: { 'spark.deploy.spreadOutDrivers': 'false' } });
  });
  afterAll(() => c?.stop());

  it('hands a supervised driver back for relaunch under a new id; the others end as on worker loss', async () => {
    const supervised = await submit(
      c,
      createRequest(fixture('sleep.mjs'), { props: { 'spark.driver.supervise': 'true' } }),
    );
    const plain = await submit(c, createRequest(fixture('sleep.mjs')));
    const placed = await running(c, supervised);
    expect((await running(c, plain)).workerId).toBe(placed.workerId);
    const { appId } = await c.post('/v1/applications', {
      name: 'on-both',
      maxCores: 4,
      executor: { cores: 1, memoryMb: 256 },
      command: { argv: ['{{NODE}}', fixture('sleep.mjs')], env: {} },
    });
    const before = await c.until('four executors running', async () => {
      const executors = (await c.get(`/v1/applications/${appId}`)).executors as Json[];
      return executors.length === 4 && executors.every((e) => e.state === 'RUNNING')
        ? executors
        : undefined;
    });
    const doomed = String(placed.workerId);
    const onDoomed = before.filter((e) => e.workerId === doomed).map((e) => e.executorId);
    expect(onDoomed.length).toBeGreaterThan(0);

    const worker = c.workers[await workerIndex(c, doomed)];
    const exited = new Promise((r) => worker?.once('exit', r));
    worker?.kill('SIGTERM');
    expect(await exited).toBe(0);

    // Spark's removeWorker: the supervised driver relaunched, the other one ERROR.
    expect((await status(c, supervised)).driverState).toBe('RELAUNCHING');
    expect((await status(c, plain)).driverState).toBe('ERROR');
    const relaunched = await c.until('the relaunched driver running', async () => {
      const { activedrivers } = await c.get('/json');
      return (activedrivers as Json[]).find((d) => d.id !== supervised && d.state === 'RUNNING');
    });
    expect(relaunched.worker).not.toBe(doomed);
    // Its executors are decommissioned, then lost with the worker: never the app's failure.
    const after = (await c.get(`/v1/applications/${appId}`)).executors as Json[];
    for (const e of after.filter((x) => onDoomed.includes(x.executorId))) {
      expect(['DECOMMISSIONED', 'LOST']).toContain(e.state);
    }
    expect((await c.get(`/v1/applications/${appId}`)).retryCount).toBe(0);
    const listed = ((await c.get('/json')).workers as Json[]).find((w) => w.id === doomed);
    expect(listed?.state).toBe('DEAD');
    await c.post(`/v1/applications/${appId}`, undefined, 'DELETE');
  });
});

describe('a worker killed with SIGKILL', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ sparkProperties: { 'spark.worker.timeout': '3' } });
  });
  afterAll(() => c?.stop());

  it('is declared DEAD after the timeout: executors LOST and placed again, a supervised driver relaunched', async () => {
    const driverId = await submit(
      c,
      createRequest(fixture('sleep.mjs'), { props: { 'spark.driver.supervise': 'true' } }),
    );
    const placed = await c.until('the driver placed', async () => {
      const s = await status(c, driverId);
      return s.driverState === 'RUNNING' ? s : undefined;
    });
    const { appId } = await c.post('/v1/applications', {
      name: 'survivor',
      maxCores: 2,
      executor: { cores: 1, memoryMb: 256 },
      command: { argv: ['{{NODE}}', fixture('sleep.mjs')], env: {} },
    });
    const before = await c.until('two executors running', async () => {
      const d = await c.get(`/v1/applications/${appId}`);
      const executors = d.executors as Json[];
      return executors.length === 2 && executors.every((e) => e.state === 'RUNNING')
        ? executors
        : undefined;
    });
    const doomed = String(placed.workerId);
    const index = await workerIndex(c, doomed);
    const workDir = c.workDirs[index] as string;
    expect(processesUnder(workDir).length).toBeGreaterThan(0);
    // The agent alone: its driver and executors must not outlive it (setpriv --pdeathsig).
    c.workers[index]?.kill('SIGKILL');
    await c.until(
      "the agent's children to stop",
      async () => (processesUnder(workDir).length === 0 ? true : undefined),
      5_000,
    );

    // Found by the watch's ticks (every second here): within spark.worker.timeout + 5 s.
    await c.until(
      'the worker to be DEAD',
      async () => {
        const workers = (await c.get('/json')).workers as Json[];
        return workers.find((w) => w.id === doomed)?.state === 'DEAD' ? true : undefined;
      },
      (3 + 5) * 1000,
    );
    const after = await c.until('executors placed again', async () => {
      const d = await c.get(`/v1/applications/${appId}`);
      const executors = d.executors as Json[];
      const live = executors.filter((e) => e.state === 'RUNNING');
      return live.length === 2 && live.every((e) => e.workerId !== doomed) ? executors : undefined;
    });
    const lost = after.filter((e) => e.state === 'LOST');
    expect(lost.length).toBe(before.filter((e) => e.workerId === doomed).length);
    // No executor id ever has two processes: a lost one has none, a replacement one.
    const perExecutor = new Map<string, number>();
    for (const dir of c.workDirs) {
      for (const { cwd } of processesUnder(join(dir, String(appId)))) {
        const id = cwd.slice(join(dir, String(appId)).length + 1).split('/')[0] as string;
        perExecutor.set(id, (perExecutor.get(id) ?? 0) + 1);
      }
    }
    expect([...perExecutor.values()].every((n) => n === 1)).toBe(true);
    for (const e of lost) expect(perExecutor.has(String(e.executorId))).toBe(false);
    for (const e of lost)
      expect(String(e.message)).toMatch(/^worker lost: Not receiving heartbeat/);

    expect((await status(c, driverId)).driverState).toBe('RELAUNCHING');
    const relaunched = await c.until('the relaunched driver running', async () => {
      const { activedrivers } = await c.get('/json');
      return (activedrivers as Json[]).find((d) => d.id !== driverId && d.state === 'RUNNING');
    });
    expect(relaunched.worker).not.toBe(doomed);
  });
});
