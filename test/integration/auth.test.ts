// Every route × {no token, bad signature, expired, wrong credential kind, valid}: Spark's
// REST routes answer as Spark's JWSFilter does (403, its container page), our own routes
// 401/403 JSON; a refused request changes nothing.
import { randomBytes } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverToken, mintToken } from '../../lib/api/auth.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { jws, randomKeys, snapshot, startApi } from './api.js';

const keys = randomKeys();
let cp: ControlPlane;
const ids = { worker: '', spare: '', app: '', driver: '' };
/** Each registered worker's own credential, which its routes need. */
const credentials = new Map<string, string>();

type Family = 'spark' | 'worker' | 'submission';
interface Route {
  readonly name: string;
  readonly family: Family;
  readonly method: string;
  readonly path: () => string;
  readonly body?: () => unknown;
  /** What a valid token gets. */
  readonly ok: number;
}

const createBody = {
  action: 'CreateSubmissionRequest',
  appResource: '',
  mainClass: 'org.example.Main',
  clientSparkVersion: '',
  sparkProperties: {},
};

const routes: Route[] = [
  {
    name: 'create',
    family: 'spark',
    method: 'POST',
    path: () => '/v1/submissions/create',
    body: () => createBody,
    ok: 200,
  },
  {
    name: 'status',
    family: 'spark',
    method: 'GET',
    path: () => `/v1/submissions/status/${ids.driver}`,
    ok: 200,
  },
  {
    name: 'kill',
    family: 'spark',
    method: 'POST',
    path: () => '/v1/submissions/kill/driver-none',
    ok: 200,
  },
  {
    name: 'killall',
    family: 'spark',
    method: 'POST',
    path: () => '/v1/submissions/killall',
    ok: 200,
  },
  { name: 'clear', family: 'spark', method: 'POST', path: () => '/v1/submissions/clear', ok: 200 },
  { name: 'readyz', family: 'spark', method: 'GET', path: () => '/v1/submissions/readyz', ok: 200 },
  { name: 'error servlet', family: 'spark', method: 'GET', path: () => '/v2/anything', ok: 468 },
  {
    name: 'register worker',
    family: 'worker',
    method: 'POST',
    path: () => '/v1/workers',
    body: () => ({ host: '10.9.0.1', port: 7078, cores: 1, memoryMb: 1024, workerId: ids.worker }),
    ok: 200,
  },
  {
    name: 'heartbeat',
    family: 'worker',
    method: 'POST',
    path: () => `/v1/workers/${ids.worker}/heartbeat`,
    body: () => ({}),
    ok: 200,
  },
  {
    name: 'executor state',
    family: 'worker',
    method: 'POST',
    path: () => `/v1/workers/${ids.worker}/executors/${ids.app}/99/state`,
    body: () => ({ state: 'RUNNING' }),
    ok: 200,
  },
  {
    name: 'driver state',
    family: 'worker',
    method: 'POST',
    path: () => `/v1/workers/${ids.worker}/drivers/driver-none/state`,
    body: () => ({ state: 'FINISHED' }),
    ok: 200,
  },
  {
    name: 'disconnect',
    family: 'worker',
    method: 'POST',
    path: () => `/v1/workers/${ids.spare}/disconnect`,
    ok: 200,
  },
  {
    name: 'decommission',
    family: 'worker',
    method: 'POST',
    path: () => `/v1/workers/${ids.spare}/decommission`,
    ok: 200,
  },
  {
    name: 'register application',
    family: 'submission',
    method: 'POST',
    path: () => '/v1/applications',
    body: () => ({
      name: 'a',
      executor: { memoryMb: 1 },
      command: { argv: ['{{NODE}}', 'x.mjs'] },
    }),
    ok: 200,
  },
  {
    name: 'read application',
    family: 'submission',
    method: 'GET',
    path: () => `/v1/applications/${ids.app}`,
    ok: 200,
  },
  {
    name: 'request executors',
    family: 'submission',
    method: 'POST',
    path: () => `/v1/applications/${ids.app}/executors`,
    body: () => ({ total: 1 }),
    ok: 200,
  },
  {
    name: 'kill executors',
    family: 'submission',
    method: 'POST',
    path: () => `/v1/applications/${ids.app}/executors/kill`,
    body: () => ({ executorIds: ['42'] }),
    ok: 200,
  },
  {
    name: 'kill application',
    family: 'submission',
    method: 'POST',
    path: () => '/v1/applications/app-none/kill',
    ok: 404,
  },
  {
    name: 'unregister application',
    family: 'submission',
    method: 'DELETE',
    path: () => '/v1/applications/app-none',
    ok: 404,
  },
  { name: '/json', family: 'submission', method: 'GET', path: () => '/json', ok: 200 },
  {
    name: '/json/field',
    family: 'submission',
    method: 'GET',
    path: () => '/json/aliveworkers',
    ok: 200,
  },
  {
    name: 'Prometheus metrics',
    family: 'submission',
    method: 'GET',
    path: () => '/metrics/master/prometheus/',
    ok: 200,
  },
];

type Credential = 'none' | 'bad signature' | 'expired' | 'wrong kind' | 'valid';

async function header(credential: Credential, route: Route): Promise<string | undefined> {
  const family = route.family;
  const own = family === 'worker' ? keys.worker : keys.submission;
  const other = family === 'worker' ? keys.submission : keys.worker;
  // Past registration, a worker's routes take the credential its registration returned.
  const worker = /^\/v1\/workers\/([^/]+)/.exec(route.path())?.[1];
  switch (credential) {
    case 'none':
      return undefined;
    case 'bad signature':
      return `Bearer ${await mintToken(randomBytes(32))}`;
    case 'expired':
      return `Bearer ${await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(own)}`;
    case 'wrong kind':
      return `Bearer ${await mintToken(other)}`;
    case 'valid':
      return `Bearer ${worker ? credentials.get(worker) : await mintToken(own)}`;
  }
}

async function call(route: Route, authorization: string | undefined) {
  const body = route.body?.();
  return fetch(`${cp.url}${route.path()}`, {
    method: route.method,
    headers: {
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  cp = await startApi({ auth: jws(keys) });
  const worker = `Bearer ${await mintToken(keys.worker)}`;
  const submission = `Bearer ${await mintToken(keys.submission)}`;
  const json = (r: Response) => r.json() as Promise<Record<string, string>>;
  const post = (path: string, auth: string, body: unknown) =>
    fetch(`${cp.url}${path}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  for (const [name, host] of [
    ['worker', '10.9.0.1'],
    ['spare', '10.9.0.2'],
  ] as const) {
    const registered = await json(
      await post('/v1/workers', worker, { host, port: 7078, cores: 1, memoryMb: 1024 }),
    );
    ids[name] = registered.workerId as string;
    credentials.set(ids[name], registered.credential as string);
  }
  ids.app = (
    await json(
      await post('/v1/applications', submission, {
        name: 'auth',
        executor: { memoryMb: 1 },
        command: { argv: ['{{NODE}}', 'x.mjs'] },
      }),
    )
  ).appId as string;
  ids.driver = (await json(await post('/v1/submissions/create', submission, createBody)))
    .submissionId as string;
});
afterAll(() => cp?.close());

describe('the auth matrix', () => {
  for (const route of routes) {
    for (const credential of ['none', 'bad signature', 'expired', 'wrong kind'] as const) {
      it(`${route.name} × ${credential}: refused, nothing changes`, async () => {
        const before = await snapshot(cp.deps.table);
        const response = await call(route, await header(credential, route));
        const text = await response.text();
        if (route.family === 'spark') {
          // Spark's JWSFilter: 403 and Jetty's error page, whatever is wrong with the token.
          expect(response.status).toBe(403);
          expect(response.headers.get('content-type')).toContain('text/html');
          expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
          const reason =
            credential === 'none' ? 'Authorization header is missing.' : 'JWT Validate Fail';
          expect(text).toContain(`Error 403 ${reason}`);
        } else {
          expect(response.status).toBe(credential === 'wrong kind' ? 403 : 401);
          const body = JSON.parse(text) as { error: string };
          expect(body.error).toBe(
            credential === 'wrong kind' ? 'wrong_credential' : 'unauthorized',
          );
        }
        expect(await snapshot(cp.deps.table)).toBe(before);
      });
    }
    it(`${route.name} × valid: served`, async () => {
      const response = await call(route, await header('valid', route));
      expect(response.status, await response.text()).toBe(route.ok);
      if (route.family === 'spark') {
        expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
      }
    });
  }

  it("a header that is not 'Bearer <token>' is malformed to Spark's filter", async () => {
    const response = await call(
      routes[0] as Route,
      `Basic ${Buffer.from('a:b').toString('base64')}`,
    );
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Malformed Authorization header.');
  });
});

describe("a driver's token (the one its LaunchDriver carries)", () => {
  const submission = async () => `Bearer ${await mintToken(keys.submission)}`;
  const request = (path: string, authorization: string, method = 'POST', body: unknown = {}) =>
    fetch(`${cp.url}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
    });
  const registration = {
    name: 'mine',
    executor: { memoryMb: 1 },
    command: { argv: ['{{NODE}}', 'x.mjs'] },
  };

  it('works on its own applications only, while its driver is active, never on submissions', async () => {
    const created = await request('/v1/submissions/create', await submission(), 'POST', createBody);
    const driverId = String(((await created.json()) as { submissionId: string }).submissionId);
    const auth = cp.deps.auth;
    const token = `Bearer ${await driverToken(auth, driverId)}`;

    // Not a submission credential: Spark's routes and the cluster view refuse it.
    const before = await snapshot(cp.deps.table);
    const killall = await request('/v1/submissions/killall', token);
    expect(killall.status).toBe(403);
    expect(await killall.text()).toContain('JWT Validate Fail');
    expect((await request('/v1/submissions/create', token, 'POST', createBody)).status).toBe(403);
    expect((await request('/json', token, 'GET')).status).toBe(403);
    expect(await snapshot(cp.deps.table)).toBe(before);

    // Its own application: registered under its id whatever the body says.
    const other = await request('/v1/applications', token, 'POST', {
      ...registration,
      driverId: 'driver-of-someone-else',
    });
    expect(other.status).toBe(403);
    const mine = await request('/v1/applications', token, 'POST', registration);
    expect(mine.status).toBe(200);
    const { appId } = (await mine.json()) as { appId: string };
    expect((await request(`/v1/applications/${appId}/heartbeat`, token)).status).toBe(200);
    // Someone else's application is out of its reach.
    const foreign = await request(`/v1/applications/${ids.app}/kill`, token);
    expect(foreign.status).toBe(403);
    expect((await request(`/v1/applications/${ids.app}`, token, 'GET')).status).toBe(403);

    // Its driver ended: the token works no more.
    await request(`/v1/submissions/kill/${driverId}`, await submission());
    expect((await request(`/v1/applications/${appId}/heartbeat`, token)).status).toBe(403);
    expect((await request('/v1/applications', token, 'POST', registration)).status).toBe(403);
  });
});

describe("a worker's credential", () => {
  it('is renewed by a heartbeat once past half its life, and names the same worker', async () => {
    const worker = ids.worker;
    const [key] = cp.deps.auth.workerCredentialKeys;
    const heartbeat = async (credential: string) =>
      (await (
        await fetch(`${cp.url}/v1/workers/${worker}/heartbeat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { credential?: string };
    expect((await heartbeat(credentials.get(worker) as string)).credential).toBeUndefined();
    const late = await mintToken(key as Uint8Array, { sub: worker, scope: 'worker' }, 60);
    const renewed = (await heartbeat(late)).credential as string;
    expect(decodeJwt(renewed)).toMatchObject({ sub: worker, scope: 'worker' });
    expect((decodeJwt(renewed).exp as number) - Date.now() / 1000).toBeGreaterThan(3000);
    expect(await heartbeat(renewed)).not.toHaveProperty('credential');
  });
});
