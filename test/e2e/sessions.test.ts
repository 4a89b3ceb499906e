// Spark Connect sessions on a real cluster: Spark 4.1.1's Connect server as a session's
// driver, Spark's executors placed by dynamic allocation, and PyPI's pyspark-client at the
// pinned version as the client.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClientPython } from '../../lib/local/spark.js';
import { type Cluster, loseWorker, startCluster } from './cluster.js';

const query = fileURLToPath(new URL('../../examples/session/query.py', import.meta.url));
const TIMEOUT = 360_000;

interface SessionView {
  sessionId: string;
  name?: string;
  state: string;
  driverState: string;
  workerId?: string;
  url?: string;
  endpoint?: string;
  token?: string;
  appId?: string;
  idleSinceMs?: number;
  stopReason?: string;
  coresInUse: number;
  executors: { executorId: number; workerId: string; cores: number; state: string }[];
}

/** Small sessions: two of them and their executors fit on the cluster together. */
const SMALL = {
  'spark.driver.memory': '768m',
  'spark.executor.memory': '512m',
  'spark.executor.cores': '1',
  'spark.dynamicAllocation.maxExecutors': '2',
  'spark.dynamicAllocation.executorIdleTimeout': '2s',
  'spark.dynamicAllocation.shuffleTracking.timeout': '2s',
};

let c: Cluster;
const clients: ChildProcess[] = [];

beforeAll(async () => {
  c = await startCluster({
    workers: 2,
    cores: 4,
    spark: true,
    auth: true,
    // The Connect server is a JVM: it runs as nobody, as user code should.
    runAs: 'nobody',
    // Short, for the lost worker below; not so short that a loaded machine's late
    // heartbeats (every timeout / 4) lose a worker while the queries run.
    sparkProperties: { 'spark.worker.timeout': '10' },
  });
}, 180_000);

afterAll(async () => {
  for (const p of clients.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  await c?.stop();
});

const auth = () => ({ authorization: `Bearer ${c.token}` });

async function call(method: string, path: string, body?: unknown, headers = auth()) {
  const r = await fetch(`${c.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const session = async (id: string) =>
  (await call('GET', `/v1/sessions/${id}`)).body as unknown as SessionView;

async function create(
  name: string,
  idleTimeoutSec: number,
): Promise<{ id: string; token: string }> {
  const { status, body } = await call('POST', '/v1/sessions', {
    name,
    idleTimeoutSec,
    sparkProperties: SMALL,
  });
  expect(status).toBe(201);
  expect(body.state).toBe('STARTING');
  return { id: String(body.sessionId), token: String(body.token) };
}

const ready = (id: string) =>
  c.until(
    `session ${id} to be READY`,
    async () => {
      const s = await session(id);
      expect(['STARTING', 'READY']).toContain(s.state);
      return s.state === 'READY' ? s : undefined;
    },
    120_000,
  );

/** Runs the client's query (a shuffle over 100,000 rows) against an endpoint. */
function runQuery(endpoint: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(connectClientPython(), [query, endpoint], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A client that hangs is killed well before the test's own timeout, so its stderr is seen.
  const limit = setTimeout(() => child.kill('SIGKILL'), 150_000);
  child.once('exit', () => clearTimeout(limit));
  clients.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

/** What the query must answer: ten buckets of 10,000 ids each, with their sums. */
const EXPECTED = Array.from({ length: 10 }, (_, bucket) => ({
  bucket,
  n: 10_000,
  total: 10_000 * bucket + 499_950_000,
}));

describe('Spark Connect sessions', () => {
  it(
    'runs a client’s query on executors it gets and gives back, then stops by itself when idle',
    async () => {
      const { id, token } = await create('notebook', 15);
      // Without a credential the route answers 401, and no token is in the answer.
      const anonymous = await call('GET', `/v1/sessions/${id}`, undefined, {
        authorization: '',
      });
      expect(anonymous.status).toBe(401);
      expect(JSON.stringify(anonymous.body)).not.toContain(token);

      const s = await ready(id);
      expect(s.token).toBe(token);
      expect(s.url).toMatch(/^sc:\/\/localhost:150\d\d$/);
      expect(s.endpoint).toBe(`${s.url}/;token=${token}`);
      expect(s.executors).toEqual([]);
      expect(s.coresInUse).toBe(1);

      // A driver and an application in /json, marked as a session, without its token.
      const json = await c.get('/json');
      expect(JSON.stringify(json)).not.toContain(token);
      const drivers = json.activedrivers as { id: string; session?: Record<string, unknown> }[];
      expect(drivers.find((d) => d.id === id)?.session).toEqual({
        name: 'notebook',
        state: 'READY',
        url: s.url,
      });
      const apps = json.activeapps as { id: string; name: string; session?: string }[];
      expect(apps.find((a) => a.id === s.appId)).toMatchObject({ name: 'notebook', session: id });

      // Executors are watched while the query runs, not waited for: a client that fails
      // or hangs then fails the test with its own stderr and the session's last view.
      const result = runQuery(String(s.endpoint));
      let done = false;
      let busy: SessionView | undefined;
      let last: SessionView | undefined;
      const watching = (async () => {
        while (!done && busy === undefined) {
          last = await session(id);
          if (last.executors.length > 0) busy = last;
          else await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const { code, out, err } = await result;
      done = true;
      await watching;
      expect(code, err.slice(-2000)).toBe(0);
      expect(JSON.parse(out.trim().split('\n').at(-1) ?? '')).toEqual(EXPECTED);
      expect(busy, `executors never seen; last view ${JSON.stringify(last)}`).toBeDefined();
      expect(busy?.executors.every((e) => e.cores === 1)).toBe(true);

      // Dynamic allocation gives the executors back: only the driver is held.
      const quiet = await c.until('executors to be released', async () => {
        const now = await session(id);
        return now.state === 'READY' && now.executors.length === 0 ? now : undefined;
      });
      expect(quiet.coresInUse).toBe(1);
      expect(quiet.idleSinceMs).toBeGreaterThan(0);

      const stopped = await c.until(
        'the session to stop by itself',
        async () => {
          const now = await session(id);
          return now.state === 'STOPPED' ? now : undefined;
        },
        60_000,
      );
      expect(stopped).toMatchObject({ driverState: 'FINISHED', stopReason: 'idle' });
      expect(stopped.coresInUse).toBe(0);
      await c.until('the capacity back in /json', async () =>
        (await c.get('/json')).coresused === 0 ? true : undefined,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses wrong and missing tokens, runs two sessions side by side, stops one on DELETE',
    async () => {
      const first = await create('first', 300);
      const second = await create('second', 300);
      const [a, b] = await Promise.all([ready(first.id), ready(second.id)]);
      expect(a.url).not.toBe(b.url);

      for (const endpoint of [`${a.url}/;token=${second.token}`, String(a.url)]) {
        const refused = await runQuery(endpoint);
        expect(refused.code).not.toBe(0);
        expect(refused.err).toMatch(/UNAUTHENTICATED|authentication/i);
      }

      // Both query at once, each on executors of its own application.
      const results = Promise.all([runQuery(String(a.endpoint)), runQuery(String(b.endpoint))]);
      const seen = new Map<string, Set<string>>();
      const watching = (async () => {
        for (let i = 0; i < 600 && seen.size < 2; i++) {
          for (const s of [await session(first.id), await session(second.id)]) {
            if (s.executors.length > 0) seen.set(s.sessionId, new Set([String(s.appId)]));
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      for (const { code, out, err } of await results) {
        expect(code, err.slice(-2000)).toBe(0);
        expect(JSON.parse(out.trim().split('\n').at(-1) ?? '')).toEqual(EXPECTED);
      }
      await watching;
      expect([...seen.keys()].sort()).toEqual([first.id, second.id].sort());
      expect(a.appId).not.toBe(b.appId);

      const deleted = await call('DELETE', `/v1/sessions/${first.id}`);
      expect(deleted.status).toBe(200);
      expect(['STOPPING', 'STOPPED']).toContain(deleted.body.state);
      expect(deleted.body.token).toBeUndefined();
      const stopped = await c.until('the deleted session to stop', async () => {
        const now = await session(first.id);
        return now.state === 'STOPPED' ? now : undefined;
      });
      expect(stopped).toMatchObject({ driverState: 'FINISHED', stopReason: 'deleted' });

      // The other one is unaffected; its worker lost, it fails (sessions are not supervised).
      const other = await session(second.id);
      expect(other.state).toBe('READY');
      // Local workers' ids end with their port (spark.worker.idPattern).
      const index = c.hostPorts.findIndex((hp) => other.workerId?.endsWith(`-${hp.split(':')[1]}`));
      expect(index).toBeGreaterThanOrEqual(0);
      loseWorker(c, index);
      const failed = await c.until(
        'the session on the lost worker to fail',
        async () => {
          const now = await session(second.id);
          return now.state === 'FAILED' ? now : undefined;
        },
        60_000,
      );
      expect(failed.driverState).toBe('ERROR');
    },
    TIMEOUT,
  );
});
