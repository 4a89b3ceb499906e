// The sessions routes and a session driver's poll, on the emulators with a simulated clock:
// a worker registered over HTTP stands in for the one that would run the Connect server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../lib/api/auth.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { jws, randomKeys, snapshot, startApi } from './api.js';

let cp: ControlPlane;
let clock = 1_800_000_000_000;
const keys = randomKeys();
let token: string;
let registered: { id: string; credential: string };

beforeAll(async () => {
  cp = await startApi({
    auth: jws(keys),
    scheduler: true,
    now: () => clock,
    // The clock jumps minutes: nothing but the sessions' idle clock may time out meanwhile.
    sparkProperties: { 'spark.worker.timeout': '1000000', 'spark.sparkplane.app.timeout': '1d' },
  });
  token = await mintToken(keys.submission);
});
afterAll(async () => {
  await cp?.close();
});

async function call(method: string, path: string, body?: unknown, bearer = token) {
  const r = await fetch(`${cp.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** Spark's REST create of a driver. */
const restCreate = (appResource: string, mainClass: string) =>
  call('POST', '/v1/submissions/create', {
    action: 'CreateSubmissionRequest',
    appResource,
    mainClass,
    clientSparkVersion: '4.1.1',
    appArgs: [],
    sparkProperties: {},
    environmentVariables: {},
  });

const until = async <T>(probe: () => Promise<T | undefined>): Promise<T> => {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
};

async function worker(port: number) {
  const workerKey = await mintToken(keys.worker);
  const r = await call(
    'POST',
    '/v1/workers',
    { host: '127.0.0.1', port, cores: 4, memoryMb: 8192 },
    workerKey,
  );
  expect(r.status).toBe(200);
  return { id: String(r.body.workerId), credential: String(r.body.credential) };
}

/** A session, placed on a worker, whose driver registered its application. */
async function running(idleTimeoutSec: number) {
  const created = await call('POST', '/v1/sessions', { name: 'nb', idleTimeoutSec });
  expect(created.status).toBe(201);
  const id = String(created.body.sessionId);
  await until(async () => {
    const s = await call('GET', `/v1/sessions/${id}`);
    return s.body.driverState === 'RUNNING' ? true : undefined;
  });
  const app = await call('POST', '/v1/applications', {
    name: 'nb',
    driverId: id,
    // Dynamic allocation from 0, as a session's driver registers.
    initialExecutorLimit: 0,
    executor: { memoryMb: 512 },
    command: {
      java: { mainClass: 'org.apache.spark.executor.CoarseGrainedExecutorBackend' },
    },
  });
  expect(app.status).toBe(200);
  return { id, token: String(created.body.token), appId: String(app.body.appId) };
}

const poll = (appId: string, session: { port?: number; busy: boolean }) =>
  call('POST', `/v1/applications/${appId}/heartbeat`, { session });

describe('the sessions routes', () => {
  it('refuse bad requests with a 400 naming the field, and store nothing', async () => {
    const before = await snapshot(cp.deps.table);
    const cases: [unknown, string][] = [
      [{ nmae: 'typo' }, 'nmae'],
      [{ idleTimeoutSec: 0 }, 'idleTimeoutSec'],
      [{ idleTimeoutSec: 1.5 }, 'idleTimeoutSec'],
      [{ name: '' }, 'name'],
      [
        { sparkProperties: { 'spark.connect.authenticate.token': 'mine' } },
        'sparkProperties.spark.connect.authenticate.token',
      ],
      [{ sparkProperties: { 'spark.driver.supervise': 'true' } }, 'spark.driver.supervise'],
      [{ sparkProperties: { 'spark.driver.memory': 'lots' } }, 'spark.driver.memory'],
      [
        { sparkProperties: { 'spark.sparkplane.session.idleTimeout': 'never' } },
        'spark.sparkplane.session.idleTimeout',
      ],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/v1/sessions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(String(r.body.message)).toContain(field);
    }
    // Spark's REST create cannot start a Connect server: it would have no token.
    const rest = await restCreate(
      'spark-internal',
      'org.apache.spark.sql.connect.service.SparkConnectServer',
    );
    expect(rest.status).toBe(400);
    expect(String(rest.body.message)).toContain('/v1/sessions');
    expect(await snapshot(cp.deps.table)).toBe(before);
  });

  it('answer 404 for unknown sessions and drivers that are not sessions; 401 without a token', async () => {
    expect((await call('GET', '/v1/sessions/driver-nope')).status).toBe(404);
    expect((await call('DELETE', '/v1/sessions/driver-nope')).status).toBe(404);
    const submissionId = String(
      (await restCreate('file:/app.jar', 'org.example.Main')).body.submissionId,
    );
    expect((await call('GET', `/v1/sessions/${submissionId}`)).status).toBe(404);
    const anonymous = await call('GET', '/v1/sessions', undefined, '');
    expect(anonymous.status).toBe(401);
    await call('POST', `/v1/submissions/kill/${submissionId}`);
  });

  it('keep the idle clock on the poll and tell the driver to stop after the idle timeout', async () => {
    registered = await worker(17_001);
    const s = await running(60);
    // The token is derived, never stored: only its hash is in the table.
    expect(await snapshot(cp.deps.table)).not.toContain(s.token);

    const starting = await call('GET', `/v1/sessions/${s.id}`);
    expect(starting.body).toMatchObject({ state: 'STARTING', appId: s.appId, token: s.token });
    expect(starting.body.endpoint).toBeUndefined();

    expect((await poll(s.appId, { port: 15002, busy: false })).body.session).toEqual({
      stop: false,
    });
    const ready = await call('GET', `/v1/sessions/${s.id}`);
    expect(ready.body).toMatchObject({
      state: 'READY',
      url: 'sc://localhost:15002',
      endpoint: `sc://localhost:15002/;token=${s.token}`,
      idleSinceMs: clock,
      idleTimeoutSec: 60,
      coresInUse: 1,
    });
    // The list shows no token.
    const list = await call('GET', '/v1/sessions');
    const listed = (list.body.sessions as Record<string, unknown>[]).find(
      (x) => x.sessionId === s.id,
    );
    expect(listed).toMatchObject({ state: 'READY', url: 'sc://localhost:15002' });
    expect(listed?.token).toBeUndefined();

    clock += 50_000;
    await poll(s.appId, { port: 15002, busy: true }); // a query: the clock stops
    clock += 50_000;
    expect((await poll(s.appId, { port: 15002, busy: false })).body.session).toEqual({
      stop: false,
    });
    clock += 59_999;
    expect((await poll(s.appId, { port: 15002, busy: false })).body.session).toEqual({
      stop: false,
    });
    clock += 1;
    expect((await poll(s.appId, { port: 15002, busy: false })).body.session).toEqual({
      stop: true,
      reason: 'idle',
    });
    expect((await call('GET', `/v1/sessions/${s.id}`)).body).toMatchObject({
      state: 'STOPPING',
      stopReason: 'idle',
    });
    // An application whose driver is no session hears nothing of sessions.
    const plain = await call('POST', '/v1/applications', {
      name: 'plain',
      initialExecutorLimit: 0,
      executor: { memoryMb: 512 },
      command: { java: { mainClass: 'org.apache.spark.executor.CoarseGrainedExecutorBackend' } },
    });
    const answer = await poll(String(plain.body.appId), { port: 15009, busy: false });
    expect(answer.status).toBe(200);
    expect(answer.body.session).toBeUndefined();
  });

  it('DELETE: a waiting session is killed at once, a running one asked, then killed past grace', async () => {
    const waiting = await call('POST', '/v1/sessions', {
      sparkProperties: { 'spark.driver.cores': '64' },
    });
    const waitingId = String(waiting.body.sessionId);
    const gone = await call('DELETE', `/v1/sessions/${waitingId}`);
    expect(gone.body).toMatchObject({ state: 'STOPPED', driverState: 'KILLED' });

    const s = await running(600);
    await poll(s.appId, { port: 15003, busy: false });
    const asked = await call('DELETE', `/v1/sessions/${s.id}`);
    expect(asked.body).toMatchObject({ state: 'STOPPING', stopReason: 'deleted' });
    expect(asked.body.token).toBeUndefined();
    expect((await poll(s.appId, { port: 15003, busy: false })).body.session).toEqual({
      stop: true,
      reason: 'deleted',
    });
    // Within the grace time a DELETE asks again; past it, the driver is killed.
    clock += 10_000;
    expect((await call('DELETE', `/v1/sessions/${s.id}`)).body.state).toBe('STOPPING');
    clock += 30_000;
    expect((await call('DELETE', `/v1/sessions/${s.id}`)).status).toBe(200);
    // Killed as Spark kills a running driver: its worker is told, and its report ends it.
    const { commands } = (
      await call(
        'POST',
        `/v1/workers/${registered.id}/commands`,
        { waitSec: 0 },
        registered.credential,
      )
    ).body as { commands: { command: { type: string; driverId?: string } }[] };
    expect(commands.map((c) => c.command)).toContainEqual({ type: 'KillDriver', driverId: s.id });
  });
});
