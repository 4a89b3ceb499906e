// Drivers' and executors' logs through the API: shipped by real worker agents to fauxqs's
// S3 while their processes run, read back while they run (follow) and after their worker
// and its work directory are gone.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../lib/api/auth.js';
import { processesUnder } from '../harness/lose-worker.js';
import { createRequest } from '../harness/spark-submit.js';
import {
  type Cluster,
  example,
  fixture,
  followLog as followAll,
  loseWorker,
  logPage as page,
  readLog as readAll,
  startCluster,
} from './cluster.js';

const submit = async (c: Cluster, body: unknown) => {
  const created = await c.post('/v1/submissions/create', body);
  expect(created.success).toBe(true);
  return String(created.submissionId);
};

const driverState = async (c: Cluster, id: string) =>
  String((await c.get(`/v1/submissions/status/${id}`)).driverState);

const fileOf = (c: Cluster, driverId: string, stream: string): string => {
  for (const dir of c.workDirs) {
    try {
      return readFileSync(join(dir, driverId, stream), 'utf8');
    } catch {}
  }
  throw new Error(`no ${stream} for ${driverId}`);
};

describe('logs through the API, auth on', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({
      auth: true,
      workerEnv: { SPARK_WORKER_OPTS: '-Dspark.sparkplane.worker.logs.maxBytes=1m' },
    });
  });
  afterAll(() => c?.stop());

  it("the π example's driver stdout and an executor's stderr, while running and after its worker is gone", async () => {
    const id = await submit(
      c,
      createRequest(example, {
        args: ['8', '200000'],
        props: { 'spark.app.name': 'pi logs', 'spark.cores.max': '2' },
      }),
    );
    // Followed from the start, while the driver runs.
    let runningSeen = false;
    const stdout = await followAll(c, `/v1/drivers/${id}/logs/stdout`, (text) => {
      if (text.includes('Registered application')) runningSeen = true;
    });
    expect(runningSeen).toBe(true);
    expect(stdout).toMatch(/Pi is roughly 3\.1/);
    // Its logs are whole before its end is reported.
    await c.until('the driver to end', async () =>
      (await driverState(c, id)) === 'FINISHED' ? true : undefined,
    );
    // The driver's stdout is the file its worker wrote, byte for byte.
    expect(stdout).toBe(fileOf(c, id, 'stdout'));
    const { drivers } = (await c.get(`/v1/drivers?state=FINISHED`)) as {
      drivers: { driverId: string; appId?: string }[];
    };
    const appId = drivers.find((d) => d.driverId === id)?.appId;
    expect(appId).toBeDefined();
    const executorStderr = `/v1/applications/${appId}/executors/0/logs/stderr`;
    const stderr = await followAll(c, executorStderr);
    expect(stderr).toMatch(/^Spark Executor Command: /);
    const executorStdout = await followAll(c, `/v1/applications/${appId}/executors/0/logs/stdout`);
    expect(executorStdout).toMatch(/started with 1 core/);

    // Every worker stopped and its work directory deleted: the logs are still there.
    for (const w of c.workers) w.kill('SIGTERM');
    await c.until('workers to stop', async () =>
      c.workers.every((w) => w.exitCode !== null || w.signalCode !== null) ? true : undefined,
    );
    for (const dir of c.workDirs) rmSync(dir, { recursive: true, force: true });
    expect((await readAll(c, `/v1/drivers/${id}/logs/stdout`)).text).toBe(stdout);
    expect((await readAll(c, executorStderr)).text).toBe(stderr);
  });
});

describe('logs of processes killed and of a log past its bound', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({
      auth: true,
      // A lost worker is seen within seconds.
      sparkProperties: { 'spark.worker.timeout': '4' },
      workerEnv: {
        SPARK_WORKER_OPTS:
          '-Dspark.worker.timeout=4 -Dspark.sparkplane.worker.logs.maxBytes=1m -Dspark.sparkplane.worker.logs.interval=1s',
      },
    });
  });
  afterAll(() => c?.stop());

  const chatter = fixture('chatter.mjs');
  const running = async (id: string) =>
    c.until(`driver ${id} to run`, async () =>
      (await driverState(c, id)) === 'RUNNING' ? true : undefined,
    );

  it('a driver SIGKILLed mid-output: everything it wrote is there', async () => {
    const id = await submit(c, createRequest(chatter, { args: ['0', '20'] }));
    await running(id);
    await c.until('some output', async () => {
      const p = await page(c, `/v1/drivers/${id}/logs/stdout`);
      return p.bytes.toString().includes('line 30 ') ? true : undefined;
    });
    const [driver] = c.workDirs.flatMap((dir) => processesUnder(join(dir, id)));
    expect(driver).toBeDefined();
    process.kill(driver?.pid as number, 'SIGKILL');
    const stdout = await followAll(c, `/v1/drivers/${id}/logs/stdout`);
    await c.until('the driver to fail', async () =>
      (await driverState(c, id)) === 'FAILED' ? true : undefined,
    );
    expect(stdout).toBe(fileOf(c, id, 'stdout'));
    expect(stdout.split('\n').length).toBeGreaterThan(30);
  });

  it('a worker SIGKILLed mid-output: everything up to its last interval is there', async () => {
    const id = await submit(c, createRequest(chatter, { args: ['0', '20'] }));
    await running(id);
    await c.until('some output', async () => {
      const p = await page(c, `/v1/drivers/${id}/logs/stdout`);
      return p.bytes.toString().includes('line 150 ') ? true : undefined;
    });
    const index = c.workDirs.findIndex((dir) => processesUnder(join(dir, id)).length > 0);
    const file = () => fileOf(c, id, 'stdout');
    const killedAt = Date.now();
    loseWorker(c, index);
    const written = file();
    // Its driver is lost with its worker; its log ends where the last shipment did.
    await c.until(
      'the driver to end',
      async () => ((await driverState(c, id)) === 'RUNNING' ? undefined : true),
      90_000,
    );
    const stdout = await followAll(c, `/v1/drivers/${id}/logs/stdout`);
    expect(written.startsWith(stdout)).toBe(true);
    const lines = written.trim().split('\n');
    const last = lines.findLastIndex((l) => Number(l.split(' ')[3]) < killedAt - 2000);
    expect(stdout).toContain(`${lines[last]}\n`);
  });

  it('a log past its bound keeps its newest bytes', async () => {
    // 3 MiB in lines of 1 KiB: past the 1 MiB bound.
    const id = await submit(c, createRequest(chatter, { args: ['3000', '1', '1000'] }));
    const stdout = `/v1/drivers/${id}/logs/stdout`;
    await c.until('the driver to end', async () =>
      (await driverState(c, id)) === 'FINISHED' ? true : undefined,
    );
    const { text, first } = await readAll(c, stdout);
    const file = fileOf(c, id, 'stdout');
    expect(first).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(text.length).toBeLessThan(2 * 1024 * 1024 + 1);
    expect(file.endsWith(text)).toBe(true);
    expect(text).toContain('line 3000 ');
    // A read from before the oldest byte kept starts there.
    const p = await page(c, stdout, '?from=0&size=10');
    expect(p.from).toBe(first);
    expect(p.bytes.toString()).toBe(file.slice(first, first + 10));
  });

  it('ranges, unknown ids and credentials', async () => {
    const id = await submit(c, createRequest(chatter, { args: ['100', '1'] }));
    const path = `/v1/drivers/${id}/logs/stderr`;
    await c.until('the driver to end', async () =>
      (await driverState(c, id)) === 'FINISHED' ? true : undefined,
    );
    const whole = (await readAll(c, path)).text;
    expect(whole).toMatch(/^Launch Command: /);
    expect(whole).toContain('err 100\n');
    const ranged = await page(c, path, '?from=5&size=7');
    expect(ranged.bytes.toString()).toBe(whole.slice(5, 12));
    expect([ranged.from, ranged.next]).toEqual([5, 12]);
    const header = await page(c, path, '', { range: 'bytes=2-4' });
    expect(header.bytes.toString()).toBe(whole.slice(2, 5));
    const past = await page(c, path, `?from=${whole.length + 100}`);
    expect([past.status, past.bytes.length, past.complete]).toEqual([200, 0, true]);
    for (const [query, field] of [
      ['?from=-1', 'from'],
      ['?size=0', 'size'],
      ['?from=abc', 'from'],
    ] as const) {
      const bad = await fetch(`${c.url}${path}${query}`, {
        headers: { authorization: `Bearer ${c.token}` },
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toContain(field);
    }
    const badStream = await page(c, `/v1/drivers/${id}/logs/stdin`);
    expect(badStream.status).toBe(400);
    expect((await page(c, '/v1/drivers/driver-20990101000000-9999/logs/stdout')).status).toBe(404);
    expect((await page(c, `/v1/applications/app-none/executors/0/logs/stdout`)).status).toBe(404);
    const anonymous = await fetch(`${c.url}${path}`);
    expect(anonymous.status).toBe(401);
    // A worker's token is not a reader's.
    const workerToken = await mintToken(c.keys?.worker as Uint8Array, {}, 60);
    const asWorker = await fetch(`${c.url}${path}`, {
      headers: { authorization: `Bearer ${workerToken}` },
    });
    expect(asWorker.status).toBe(403);

    // A registered worker ships only the logs it was given a token for.
    const registered = await fetch(`${c.url}/v1/workers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${workerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ host: '127.0.0.9', port: 7, cores: 1, memoryMb: 512 }),
    });
    const { workerId, credential } = (await registered.json()) as Record<string, string>;
    const ship = (body: unknown, token = credential) =>
      fetch(`${c.url}/v1/workers/${workerId}/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const forged = {
      streams: [
        {
          owner: { kind: 'driver', driverId: id },
          stream: 'stderr',
          logToken: 'forged',
          chunks: [{ offset: 0, data: Buffer.from('forged\n').toString('base64') }],
        },
      ],
    };
    const refused = await ship(forged);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain(id);
    expect((await ship(forged, c.token)).status).toBe(403);
    expect(
      (await ship({ streams: [{ ...forged.streams[0], chunks: [{ offset: 0, data: '%%' }] }] }))
        .status,
    ).toBe(400);
    expect((await readAll(c, path)).text).toBe(whole);
  });
});
