// The `sparkplane` command against the real `npm start` (auth on, as deployed): submit and
// follow a driver with its logs, a failing one, list, kill, logs -f, --json, and the one-line
// errors of a wrong URL and a wrong token.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../lib/api/auth.js';
import { type LocalMain, startLocalMain } from '../harness/local-main.js';
import { freePort } from '../harness/spark-standalone.js';
import { until } from './cluster.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'sparkplane.js');
const sleeper = 'test/e2e/fixtures/sleep.mjs';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const children = new Set<ChildProcess>();
let env: NodeJS.ProcessEnv = {};

/** The CLI as a user runs it, from the repository's root. */
function sparkplane(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** One line on stderr, no stack trace. */
const oneLineError = (r: Run) => {
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr.trim();
};

const statusOf = async (driverId: string) => {
  const r = await sparkplane(['status', driverId, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { driverState: string; workerId?: string };
};

describe('the sparkplane CLI against npm start', () => {
  let stack: LocalMain | undefined;
  let dataDir: string;
  const failed: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sparkplane-cli-'));
    const submissionKey = randomBytes(32);
    const port = await freePort();
    stack = await startLocalMain({
      dataDir,
      port,
      workers: 2,
      cores: 2,
      memory: '1g',
      args: ['--auth'],
      env: {
        ...process.env,
        SPARKPLANE_SUBMISSION_KEY: submissionKey.toString('base64url'),
        SPARKPLANE_WORKER_KEY: randomBytes(32).toString('base64url'),
      },
    });
    env = {
      SPARKPLANE_URL: `http://127.0.0.1:${port}`,
      SPARKPLANE_TOKEN: await mintToken(submissionKey, {}, 3600),
      // No profile of this machine's user.
      SPARKPLANE_CONFIG: join(dataDir, 'no-profiles.json'),
    };
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("submit --wait --logs streams the π driver's output and exits 0 once it FINISHED", async () => {
    const r = await sparkplane([
      'submit',
      'examples/pi/driver.mjs',
      '4',
      '10000',
      '--wait',
      '--logs',
    ]);
    expect(r.stdout).toMatch(/Pi is roughly 3\.1/);
    // The launch command heads its stderr; the progress lines on stderr end FINISHED.
    expect(r.stderr).toMatch(/^Launch Command: /m);
    expect(r.stderr).toMatch(
      /^driver-\S+ (SUBMITTED|RUNNING on worker-\S+ \(127\.0\.0\.1:\d+\))$/m,
    );
    expect(r.stderr).toMatch(/^driver-\S+ (SUBMITTED|RUNNING) → FINISHED on worker-/m);
    expect(r.code).toBe(0);
  });

  it("submit --wait exits 1 with the driver's outcome when it fails", async () => {
    const r = await sparkplane(['submit', sleeper, '--exit-after', '100', '--code', '3', '--wait']);
    const driverId = r.stdout.trim();
    expect(driverId).toMatch(/^driver-\d{14}-\d{4}$/);
    expect(r.stderr).toContain(`sparkplane: ${driverId} FAILED`);
    expect(r.code).toBe(1);
    failed.push(driverId);
    const listed = await sparkplane(['list', 'drivers', '--state', 'FAILED', '--json']);
    expect(
      JSON.parse(listed.stdout).drivers.map((d: { driverId: string }) => d.driverId),
    ).toContain(driverId);
  });

  it('list shows the drivers and their applications, as a table and as JSON', async () => {
    const table = await sparkplane(['list']);
    expect(table.code).toBe(0);
    const [drivers = '', apps = ''] = table.stdout.split('\n\n');
    expect(drivers).toMatch(/^DRIVER +STATE +CORES +MEMORY +SUBMITTED +WORKER +APP +MAIN CLASS\n/);
    expect(drivers).toMatch(
      new RegExp(`^${failed[0]} +FAILED +1 +1024\\.0 MiB .* sleep\\.mjs$`, 'm'),
    );
    expect(drivers).toMatch(/^driver-\S+ +FINISHED .* app-\S+ +driver\.mjs$/m);
    expect(apps).toMatch(/^app-\S+ +FINISHED .* driver-\S+ +driver\.mjs$/m);

    const json = JSON.parse((await sparkplane(['--json', 'list'])).stdout);
    expect(json.drivers).toHaveLength(2);
    expect(json.applications).toHaveLength(1);
    const workers = JSON.parse((await sparkplane(['workers', '--json'])).stdout);
    expect(workers.workers).toHaveLength(2);
    expect(JSON.parse((await sparkplane(['sessions', '--json'])).stdout)).toEqual({ sessions: [] });
  });

  it('logs -f follows a running driver until it is killed; its status then says KILLED', async () => {
    const submitted = await sparkplane(['submit', sleeper, '--json']);
    const { submissionId, success } = JSON.parse(submitted.stdout);
    expect(success).toBe(true);
    const followed = sparkplane(['logs', '-f', submissionId]);
    await until('the driver to run', async () =>
      (await statusOf(submissionId)).driverState === 'RUNNING' ? true : undefined,
    );
    const killed = await sparkplane(['kill', submissionId]);
    expect(killed.stdout.trim()).toBe(`Kill request for ${submissionId} submitted`);
    expect(killed.code).toBe(0);
    const logs = await followed;
    expect(logs.stdout).toMatch(/^started \d+\n$/);
    expect(logs.code).toBe(0);
    expect((await statusOf(submissionId)).driverState).toBe('KILLED');
    const status = await sparkplane(['status', submissionId]);
    expect(status.stdout).toMatch(
      new RegExp(`^${submissionId} KILLED on worker-\\S+ \\(127\\.0\\.0\\.1:\\d+\\)\n$`),
    );
  });

  it('an unknown driver is named, with exit code 1', async () => {
    for (const args of [
      ['status', 'driver-19700101000000-9999'],
      ['logs', 'driver-19700101000000-9999'],
    ]) {
      const r = await sparkplane(args);
      expect(oneLineError(r)).toMatch(/^sparkplane: no driver driver-19700101000000-9999$/i);
      expect(r.code).toBe(1);
    }
  });

  it('a closed port is a one-line error naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await sparkplane(['list'], { SPARKPLANE_URL: url });
    expect(oneLineError(r)).toBe(`sparkplane: cannot reach ${url}: connection refused`);
    expect(r.code).toBe(1);
  });

  it("a wrong token is a one-line error saying which token to check, on Spark's routes and ours", async () => {
    const wrong = { SPARKPLANE_TOKEN: await mintToken(randomBytes(32), {}, 3600) };
    const spark = await sparkplane(['status', 'driver-19700101000000-9999'], wrong);
    expect(oneLineError(spark)).toBe(
      'sparkplane: refused (403): JWT Validate Fail; check the token (from SPARKPLANE_TOKEN)',
    );
    const ours = await sparkplane(['list', '--token', 'not-a-jws']);
    expect(oneLineError(ours)).toMatch(
      /^sparkplane: refused \(401\): .*; check the token \(from --token\)$/,
    );
    const none = await sparkplane(['workers'], { SPARKPLANE_TOKEN: '' });
    expect(oneLineError(none)).toMatch(/pass a token with --token or SPARKPLANE_TOKEN$/);
    expect([spark.code, ours.code, none.code]).toEqual([1, 1, 1]);
  });

  it('usage errors exit 2 before any request', async () => {
    const jar = await sparkplane(['submit', 'app.jar']);
    expect(oneLineError(jar)).toBe(
      'sparkplane: app.jar needs --class <main class> (only .py, .js and .mjs do not)',
    );
    const option = await sparkplane(['list', '--limit', '0']);
    expect(oneLineError(option)).toMatch(
      /^sparkplane: option '--limit <n>' argument '0' is invalid/,
    );
    expect([jar.code, option.code]).toEqual([2, 2]);
  });
});
