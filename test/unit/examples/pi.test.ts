// The Pi example on its own: the driver against a fake of the application routes
// (PROTOCOL.md §3), executors started the way a worker agent starts them (the registered
// argv with its placeholders replaced).

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../paths.js';

const driverPath = path.join(repoRoot, 'examples/pi/driver.mjs');
const executorPath = path.join(repoRoot, 'examples/pi/executor.mjs');
const APP_ID = 'app-20250101000000-0000';
const DRIVER_ID = 'driver-20250101000000-0000';
const TOKEN = 'test-token';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

interface Registration {
  name: string;
  user: string;
  driverId?: string;
  maxCores?: number;
  executor: { cores?: number; memoryMb: number };
  command: { argv: string[]; env: Record<string, string> };
}

interface FakeMaster {
  readonly url: string;
  readonly seen: Seen[];
  /** What the application's heartbeat answers as its state. */
  state: string;
  readonly registered: Promise<Registration>;
}

const servers: Server[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

async function fakeMaster(): Promise<FakeMaster> {
  let resolveRegistered: (r: Registration) => void = () => {};
  const fake: FakeMaster = {
    url: '',
    seen: [],
    state: 'RUNNING',
    registered: new Promise((resolve) => {
      resolveRegistered = resolve;
    }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      fake.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'POST' && req.url === '/v1/applications') {
        resolveRegistered(JSON.parse(body) as Registration);
        return answer(200, { appId: APP_ID });
      }
      if (req.method === 'POST' && req.url === `/v1/applications/${APP_ID}/heartbeat`) {
        return answer(200, { id: APP_ID, name: 'Pi', state: fake.state, executors: [] });
      }
      if (req.url === `/v1/applications/${APP_ID}`) {
        if (req.method === 'DELETE') {
          fake.state = 'FINISHED';
          return answer(200, { appId: APP_ID, state: 'FINISHED' });
        }
      }
      answer(404, { error: 'not_found', message: `${req.method} ${req.url}` });
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}` });
}

interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('empty argv');
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<Exited>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The environment a worker agent gives the driver; nothing of ours leaks in. */
function driverEnv(masterUrl: string, props: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SPARKPLANE_')) env[k] = v;
  }
  return {
    ...env,
    SPARKPLANE_MASTER_URL: masterUrl,
    SPARKPLANE_TOKEN: TOKEN,
    SPARKPLANE_DRIVER_ID: DRIVER_ID,
    SPARKPLANE_HOST: '127.0.0.1',
    SPARKPLANE_SPARK_PROPERTIES: JSON.stringify(props),
  };
}

/** What the worker agent does with a LaunchExecutor's argv (spec §h). */
function launchArgv(argv: readonly string[], executorId: string, cores: number): string[] {
  const values: Record<string, string> = {
    '{{EXECUTOR_ID}}': executorId,
    '{{CORES}}': String(cores),
    '{{APP_ID}}': APP_ID,
    '{{HOSTNAME}}': '127.0.0.1',
    '{{NODE}}': process.execPath,
  };
  return argv.map((a) => values[a] ?? a);
}

describe('examples/pi', () => {
  it('computes Pi on two executors and unregisters the application', async () => {
    const master = await fakeMaster();
    const driver = start(
      [process.execPath, driverPath, '8', '100000'],
      driverEnv(master.url, {
        'spark.app.name': 'Pi test',
        'spark.cores.max': '2',
        'spark.executor.cores': '1',
        'spark.executor.memory': '1g',
      }),
    );

    const registration = await master.registered;
    expect(registration).toMatchObject({
      name: 'Pi test',
      driverId: DRIVER_ID,
      maxCores: 2,
      executor: { cores: 1, memoryMb: 1024 },
      command: { env: {} },
    });
    const argv = registration.command.argv;
    // The worker's Node.js: what a Node driver's executors may run.
    expect(argv[0]).toBe('{{NODE}}');
    expect(argv[1]).toBe(executorPath);
    expect(argv.slice(2)).toEqual([
      '--driver-url',
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      '--executor-id',
      '{{EXECUTOR_ID}}',
      '--cores',
      '{{CORES}}',
      '--app-id',
      '{{APP_ID}}',
    ]);

    const executors = ['0', '1'].map((id) => start(launchArgv(argv, id, 1), process.env));
    const done = await driver.exited;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const pi = /^Pi is roughly (3\.1\d{5})$/m.exec(done.stdout);
    expect(pi).not.toBeNull();
    expect(Math.abs(Number(pi?.[1]) - Math.PI)).toBeLessThan(0.01);
    expect(done.stdout).toMatch(/^Computed by executors 0,1 over 8 slices$/m);
    expect(done.stdout).toContain(`Registered application ${APP_ID}`);
    expect(done.stdout).toMatch(/^Executor 0 joined/m);
    expect(done.stdout).toMatch(/^Executor 1 joined/m);

    for (const e of executors) expect((await e.exited).code).toBe(0);
    expect(master.seen.filter((s) => s.method === 'DELETE').map((s) => s.url)).toEqual([
      `/v1/applications/${APP_ID}`,
    ]);
    expect(master.seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  }, 30_000);

  it('with failExecutors, the executor command cannot start and the driver ends when the app FAILED', async () => {
    const master = await fakeMaster();
    const driver = start(
      [process.execPath, driverPath, '4', '1000'],
      driverEnv(master.url, {
        'spark.cores.max': '2',
        'sparkplane.example.failExecutors': 'true',
      }),
    );
    const registration = await master.registered;
    expect(registration.name).toBe('Spark Pi (sparkplane example)');
    expect(registration.executor).toEqual({ cores: 1, memoryMb: 512 });
    // A launch that fails counts toward maxExecutorRetries (a started process reports RUNNING).
    expect(registration.command).toEqual({
      java: { mainClass: 'org.apache.spark.executor.CoarseGrainedExecutorBackend' },
      env: { JAVA_HOME: '/nonexistent/java' },
    });
    // As the master does once maxExecutorRetries executors failed in a row.
    master.state = 'FAILED';
    const done = await driver.exited;
    expect(done.code).toBe(1);
    expect(done.stderr).toContain(`Application ${APP_ID} ended FAILED`);
    expect(done.stdout).not.toContain('Pi is roughly');
  }, 30_000);

  it('on SIGTERM unregisters and exits 143', async () => {
    const master = await fakeMaster();
    const driver = start([process.execPath, driverPath], driverEnv(master.url, {}));
    await master.registered;
    await until(() => driver.output().stdout.includes(`Registered application ${APP_ID}`));
    driver.child.kill('SIGTERM');
    const done = await driver.exited;
    expect(done.code).toBe(143);
    expect(master.seen.some((s) => s.method === 'DELETE')).toBe(true);
  }, 30_000);
});
