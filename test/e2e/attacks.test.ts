// The attacks of issue 15, each tried against the local stack (auth on, real worker agents
// running user code) or the API on the emulators, and each refused. The template's side
// (the worker task role, throttling, reserved concurrency) is in test/unit/infra.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { driverToken, mintToken } from '../../lib/api/auth.js';
import {
  deleteWorkerQueue,
  ensureWorkerQueue,
  workerQueueName,
} from '../../lib/cloud/worker-queues.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { LOCAL_AWS } from '../../lib/local/emulators.js';
import { createRequest } from '../harness/spark-submit.js';
import { jws, randomKeys, snapshot, startApi } from '../integration/api.js';
import { type Cluster, fixture, startCluster } from './cluster.js';

type Json = Record<string, unknown>;
const FINAL = ['FINISHED', 'FAILED', 'KILLED', 'ERROR'];

/** What snoop.mjs found out, from its stdout. */
interface Snoop {
  uid: number;
  cwd: { uid: number; mode: number };
  args: string[];
  env: string[];
  agentEnviron: { read?: string[]; error?: string };
  agentMemoryMap: { read?: string[]; error?: string };
  initEnviron: { read?: string[]; error?: string };
}

describe('on the local stack with auth on', () => {
  let c: Cluster;
  // What an agent's environment may hold besides its key: the task's credentials, and
  // locally whatever the shell that started it had.
  const taskCredentials = {
    SPARKPLANE_SUBMISSION_KEY: randomBytes(32).toString('base64url'),
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/attack-test',
    AWS_ACCESS_KEY_ID: 'AKIAATTACKTEST',
    AWS_SECRET_ACCESS_KEY: 'task-secret',
  };
  beforeAll(async () => {
    c = await startCluster({ auth: true, workers: 1, workerEnv: taskCredentials });
  }, 120_000);
  afterAll(() => c?.stop());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const request = (path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${c.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const submit = async (body: unknown): Promise<string> => {
    const created = await c.post('/v1/submissions/create', body);
    expect(created.success, JSON.stringify(created)).toBe(true);
    return String(created.submissionId);
  };
  const ended = (id: string) =>
    c.until(`driver ${id} to end`, async () => {
      const s = await c.get(`/v1/submissions/status/${id}`);
      return FINAL.includes(String(s.driverState)) ? s : undefined;
    });
  /** The drivers and applications the cluster knows: what a refused request must not add. */
  const known = async () => {
    const j = await c.get('/json');
    return [j.activedrivers, j.completeddrivers, j.activeapps, j.completedapps].map((l) =>
      (l as Json[]).map((x) => x.id).sort(),
    );
  };
  const stdoutOf = (id: string) =>
    readFileSync(join(c.workDirs[0] as string, id, 'stdout'), 'utf8');

  it("a job reading the agent's key and the task's credentials finds nothing", async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('the agent separates user code only as root: run the tests as root');
    }
    const id = await submit(createRequest(fixture('snoop.mjs')));
    expect((await ended(id)).driverState).toBe('FINISHED');
    const snoop = JSON.parse(stdoutOf(id)) as Snoop;
    // Another user than the agent (root), in a directory only it may enter.
    expect(snoop.uid).toBe(65_534);
    expect(snoop.cwd).toEqual({ uid: 65_534, mode: 0o700 });
    // The agent's environment and memory are out of its reach, and so are PID 1's.
    expect(snoop.agentEnviron).toEqual({ error: 'EACCES' });
    expect(snoop.agentMemoryMap).toEqual({ error: 'EACCES' });
    expect(snoop.initEnviron.read ?? []).not.toContainEqual(
      expect.stringMatching(/^SPARKPLANE_WORKER_KEY=/),
    );
    // Its own environment is the allow-list and its launch: no key, no AWS credential.
    for (const name of ['SPARKPLANE_WORKER_KEY', ...Object.keys(taskCredentials)]) {
      expect(snoop.env).not.toContain(name);
    }
    expect(snoop.env).toEqual(expect.arrayContaining(['PATH', 'HOME', 'SPARKPLANE_TOKEN']));
  });

  it("a driver's token works neither on killall nor after its driver ended", async () => {
    const id = await submit(createRequest(fixture('sleep.mjs'), { args: ['--exit-after', '0'] }));
    const token = bearer((await driverToken(c.cp.deps.auth, id)) as string);
    const killall = await request('/v1/submissions/killall', token, {});
    expect(killall.status).toBe(403);
    expect(await killall.text()).toContain('JWT Validate Fail');
    expect((await ended(id)).driverState).toBe('FINISHED');
    const registration = {
      name: 'after its driver',
      executor: { memoryMb: 1 },
      command: { argv: ['{{NODE}}', fixture('sleep.mjs')] },
    };
    const late = await request('/v1/applications', token, registration);
    expect(late.status).toBe(403);
  });

  it('a token without exp, or with one centuries away, is refused', async () => {
    const [key] = c.cp.deps.auth.keys.submission;
    const unsigned = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
    const forever = new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 100 * 365 * 24 * 3600);
    for (const token of [
      await unsigned.sign(key as Uint8Array),
      await forever.sign(key as Uint8Array),
    ]) {
      const spark = await request('/v1/submissions/status/driver-x', bearer(token));
      expect(spark.status).toBe(403);
      expect(await spark.text()).toContain('JWT Validate Fail');
      expect((await request('/json', bearer(token))).status).toBe(401);
    }
    const week = await mintToken(key as Uint8Array, {}, 7 * 24 * 3600);
    expect((await request('/json', bearer(week))).status).toBe(200);
  });

  it('--eval as appResource is refused and nothing runs', async () => {
    const before = await known();
    const created = await c.post(
      '/v1/submissions/create',
      createRequest("--eval=require('fs').writeFileSync('/tmp/pwned','')//.js"),
    );
    expect(created.action).toBe('ErrorResponse');
    expect(String(created.message)).toContain('appResource must not start with "-"');
    expect(await known()).toEqual(before);
  });

  it('a NUL byte or a 200 KiB argument ends the driver in ERROR and frees its cores', async () => {
    for (const arg of ['a\u0000b', 'x'.repeat(200 * 1024)]) {
      const id = await submit(createRequest(fixture('sleep.mjs'), { args: [arg] }));
      const last = await ended(id);
      expect(last.driverState).toBe('ERROR');
      expect(String(last.message)).toContain('Failed to launch the driver: ');
      const [worker] = (await c.get('/json')).workers as Json[];
      expect(worker?.coresused).toBe(0);
    }
  });

  it("the worker's placeholders in a user's arguments stay as they are", async () => {
    const args = ['{{WORKER_URL}}', '{{NODE}}', 'x={{MASTER_URL}}', '{{SPARK_HOME}}/bin/sh'];
    const id = await submit(createRequest(fixture('snoop.mjs'), { args }));
    expect((await ended(id)).driverState).toBe('FINISHED');
    expect((JSON.parse(stdoutOf(id)) as Snoop).args).toEqual(args);
  });

  it('an executor command naming a program of its own is refused', async () => {
    const before = await known();
    for (const [command, field] of [
      [{ argv: ['/bin/sh', '-c', 'id'] }, 'command.argv.0'],
      [{ argv: ['{{NODE}}', '--eval=1'] }, 'command.argv.1'],
      [{ java: { mainClass: 'org.example.Evil' } }, 'command.java.mainClass'],
    ] as const) {
      const r = await request('/v1/applications', bearer(c.token as string), {
        name: 'evil',
        executor: { memoryMb: 1 },
        command,
      });
      expect(r.status).toBe(400);
      expect(String(((await r.json()) as Json).message)).toContain(field);
    }
    expect(await known()).toEqual(before);
  });

  it('a 10 MiB body without a valid token is answered before it is read', async () => {
    const { port } = new URL(c.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      'POST /v1/submissions/create HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
        `content-length: ${10 * 1024 * 1024}\r\n\r\n{`,
    );
    // Only the first byte is sent: the answer comes all the same, and the connection closes.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.once('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain('Authorization header is missing.');
  });

  it('a body that is not UTF-8 is refused, not read with replacement characters', async () => {
    const r = await fetch(`${c.url}/v1/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(c.token as string) },
      body: Buffer.from([0x7b, 0x22, 0x6e, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as Json).error).toBe('invalid_encoding');
  });

  it('10,000 executor ids in one kill are refused', async () => {
    const r = await request('/v1/applications/app-x/executors/kill', bearer(c.token as string), {
      executorIds: Array.from({ length: 10_000 }, (_, i) => String(i)),
    });
    expect(r.status).toBe(400);
    expect(String(((await r.json()) as Json).message)).toContain('executorIds');
  });
});

describe('worker credentials', () => {
  const keys = randomKeys();
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startApi({ auth: jws(keys), scheduler: false });
  });
  afterAll(() => cp?.close());

  const call = (path: string, token: string, body: unknown = {}) =>
    fetch(`${cp.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const register = async (host: string) =>
    (await (
      await call('/v1/workers', await mintToken(keys.worker), {
        host,
        port: 7078,
        cores: 1_000_000,
        memoryMb: 1024,
      })
    ).json()) as { workerId: string; credential: string };

  it("a worker's credential works on its own routes only; the worker key only registers", async () => {
    const a = await register('10.7.0.1');
    const b = await register('10.7.0.2');
    const before = await snapshot(cp.deps.table);
    for (const route of ['heartbeat', 'states', 'decommission', 'disconnect', 'commands']) {
      const body =
        route === 'states' ? { reports: [] } : route === 'commands' ? { waitSec: 0 } : {};
      const stolen = await call(`/v1/workers/${b.workerId}/${route}`, a.credential, body);
      expect(stolen.status, route).toBe(403);
      expect(((await stolen.json()) as Json).error).toBe('wrong_worker');
      const key = await call(
        `/v1/workers/${b.workerId}/${route}`,
        await mintToken(keys.worker),
        body,
      );
      expect(key.status, route).toBe(403);
    }
    // Nor does a worker's credential register another worker.
    const again = await call('/v1/workers', a.credential, {
      host: '10.7.0.3',
      port: 1,
      cores: 1,
      memoryMb: 1,
    });
    expect(again.status).toBe(403);
    expect(await snapshot(cp.deps.table)).toBe(before);
    expect((await call(`/v1/workers/${a.workerId}/heartbeat`, a.credential)).status).toBe(200);
  });

  it('worker queue names never collide, so one cleanup cannot delete another worker’s queue', async () => {
    const sqs = new SQSClient({
      endpoint: inject('sqsEndpoint'),
      region: LOCAL_AWS.region,
      credentials: LOCAL_AWS.credentials,
    });
    const real = `worker-1-10.0.0.${randomBytes(2).readUInt16BE()}-7078`;
    const fake = real.replaceAll('.', '_');
    expect(workerQueueName(fake)).not.toBe(workerQueueName(real));
    await ensureWorkerQueue(sqs, real);
    await ensureWorkerQueue(sqs, fake);
    await deleteWorkerQueue(sqs, fake);
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: workerQueueName(real) }),
    );
    expect(QueueUrl).toContain(workerQueueName(real));
    await deleteWorkerQueue(sqs, real);
  });
});

describe('with auth off', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startApi();
  });
  afterAll(() => cp?.close());

  it('a cross-origin POST or a rebound host name is refused and creates nothing', async () => {
    const before = await snapshot(cp.deps.table);
    const { port } = new URL(cp.url);
    const attempts: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { host: `evil.example:${port}` },
    ];
    for (const headers of attempts) {
      // node:http, not fetch: fetch sets Host from the URL whatever it is told.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpRequest(
          `${cp.url}/v1/submissions/create`,
          { method: 'POST', headers: { 'content-type': 'text/plain', ...headers } },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.once('error', reject);
        req.end(JSON.stringify(createRequest('file:/app.jar')));
      });
      expect(status, JSON.stringify(headers)).toBe(403);
    }
    expect(await snapshot(cp.deps.table)).toBe(before);
  });
});

describe('the emulators', () => {
  /** Local addresses listening on `port`, from the kernel's socket tables. */
  const listeners = (port: number): string[] =>
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
      readFileSync(table, 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f[3] === '0A' && Number.parseInt(f[1]?.split(':')[1] ?? '', 16) === port)
        .map((f) => f[1]?.split(':')[0] ?? ''),
    );

  it('listen on loopback only: a connection from another address of the machine is refused', async () => {
    const ports = [inject('dynamodbEndpoint'), inject('sqsEndpoint')].map((u) =>
      Number(new URL(u).port),
    );
    for (const port of ports) {
      // 0100007F is 127.0.0.1 as the kernel prints it; nothing on 0.0.0.0 or ::.
      expect(listeners(port)).toEqual(['0100007F']);
    }
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    for (const port of outside ? ports : []) {
      const refused = await new Promise<string>((resolve) => {
        const s = connect(port, outside as string);
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });
});
