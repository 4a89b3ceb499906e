// A local cluster for the end-to-end tests: the control plane (gateway, scheduler, cleanup)
// on the emulators of the global setup, and worker agents as real child processes.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { AUTH_OFF, jwsAuth, mintToken } from '../../lib/api/auth.js';
import { type ControlPlane, startControlPlane } from '../../lib/local/control-plane.js';
import { LOCAL_AWS } from '../../lib/local/emulators.js';
import { sparkEnvironment, sparkPython } from '../../lib/local/spark.js';
import { LocalLauncher, tempWorkDirs } from '../../lib/local/workers.js';
import { othersCanRun } from '../../lib/worker/isolation.js';
import { loseLocalWorker } from '../harness/lose-worker.js';
import { uniqueName } from '../integration/aws.js';

export const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const example = fileURLToPath(new URL('../../examples/pi/driver.mjs', import.meta.url));

export interface Cluster {
  readonly cp: ControlPlane;
  readonly url: string;
  readonly workers: readonly ChildProcess[];
  readonly workDirs: readonly string[];
  /** Each worker's `127.0.0.1:<port>`, in start order. */
  readonly hostPorts: readonly string[];
  /** A submission token when auth is on. */
  readonly token?: string;
  /** The keys when auth is on. */
  readonly keys?: { readonly submission: Uint8Array; readonly worker: Uint8Array };
  get(path: string): Promise<Record<string, unknown>>;
  post(path: string, body?: unknown, method?: string): Promise<Record<string, unknown>>;
  /** Polls until `probe` returns something other than undefined. */
  until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Polls every 100 ms until `probe` returns something other than undefined. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ClusterOptions {
  readonly workers?: number;
  readonly cores?: number;
  /** Each worker's memory, a Spark memory string (default 4g). */
  readonly memory?: string;
  /** Workers of their own shapes, in start order, in place of `workers`, `cores`, `memory`. */
  readonly shapes?: readonly { readonly cores: number; readonly memory: string }[];
  readonly sparkProperties?: Record<string, string>;
  /** Workers that run real Spark: the pinned SPARK_HOME, its Python and the plugin jar. */
  readonly spark?: boolean;
  /** More of the workers' environment. */
  readonly workerEnv?: Record<string, string>;
  /** JWS auth as deployed: the cluster's calls carry `token`, a submission token. */
  readonly auth?: boolean;
  /**
   * Whom workers run user code as (SPARKPLANE_RUN_AS); by default the agent's choice
   * (`nobody` as root), unless the pinned Spark's Python is out of that user's reach.
   */
  readonly runAs?: string;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const keys = options.auth ? { submission: randomBytes(32), worker: randomBytes(32) } : undefined;
  const token = keys ? await mintToken(keys.submission, {}, 3600) : undefined;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const cp = await startControlPlane({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    sqsEndpoint: inject('sqsEndpoint'),
    ...(process.env.AWS_ENDPOINT_URL ? {} : { aws: LOCAL_AWS }),
    tableName: uniqueName('e2e'),
    auth: keys ? jwsAuth(keys.submission, keys.worker) : AUTH_OFF,
    sparkProperties: options.sparkProperties ?? {},
  });
  const shapes =
    options.shapes ??
    Array.from({ length: options.workers ?? 2 }, () => ({
      cores: options.cores ?? 4,
      memory: options.memory ?? '4g',
    }));
  const count = shapes.length;
  // Each cluster gets its own ports, so two clusters never share a worker address.
  const firstPort = 20_000 + Math.floor(Math.random() * 20_000);
  const workDirs = tempWorkDirs('sparkplane-e2e-');
  const runAs = options.runAs ?? (options.spark && !othersCanRun(sparkPython) ? '' : undefined);
  const launchers = shapes.map(
    (shape, i) =>
      new LocalLauncher({
        masterUrl: cp.url,
        ...shape,
        workDirs: join(workDirs, String(i + 1)),
        firstPort: firstPort + i,
        ...(keys ? { workerKey: keys.worker.toString('base64url') } : {}),
        env: options.spark
          ? {
              ...process.env,
              ...sparkEnvironment(),
              POWERTOOLS_LOG_LEVEL: 'WARN',
              ...options.workerEnv,
              ...(runAs === undefined ? {} : { SPARKPLANE_RUN_AS: runAs }),
            }
          : // No Spark here, whatever the machine has: the docs example must end in ERROR.
            {
              PATH: dirname(process.execPath),
              HOME: process.env.HOME,
              POWERTOOLS_LOG_LEVEL: 'WARN',
              ...options.workerEnv,
              ...(runAs === undefined ? {} : { SPARKPLANE_RUN_AS: runAs }),
            },
      }),
  );
  await Promise.all(launchers.map((l) => l.launch(1, 'e2e')));
  const get = async (path: string) =>
    (await (await fetch(`${cp.url}${path}`, { headers })).json()) as Record<string, unknown>;
  const post = async (path: string, body?: unknown, method = 'POST') =>
    (await (
      await fetch(`${cp.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    ).json()) as Record<string, unknown>;
  await until('workers to register', async () => {
    const { aliveworkers } = await get('/json/aliveworkers');
    return aliveworkers === count ? true : undefined;
  });
  return {
    cp,
    url: cp.url,
    workers: launchers.flatMap((l) => l.all.map((w) => w.process)),
    workDirs: launchers.flatMap((l) => l.all.map((w) => w.workDir)),
    hostPorts: shapes.map((_, i) => `127.0.0.1:${firstPort + i}`),
    ...(token ? { token } : {}),
    ...(keys ? { keys } : {}),
    get,
    post,
    until,
    async stop() {
      await Promise.all(launchers.map((l) => l.stopAll()));
      await cp.close();
    },
  };
}

/** SIGKILL a worker and everything it runs, as when its machine (an ECS task) is lost. */
export const loseWorker = (c: Cluster, index: number): void =>
  loseLocalWorker(c.workers[index], c.workDirs[index] as string);

export interface LogPage {
  readonly status: number;
  readonly bytes: Buffer;
  readonly from: number;
  readonly next: number;
  readonly complete: boolean;
}

export async function logPage(
  c: Cluster,
  path: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<LogPage> {
  const r = await fetch(`${c.url}${path}${query}`, {
    headers: { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...headers },
  });
  return {
    status: r.status,
    bytes: Buffer.from(await r.arrayBuffer()),
    from: Number(r.headers.get('x-log-from')),
    next: Number(r.headers.get('x-log-next')),
    complete: r.headers.get('x-log-complete') === 'true',
  };
}

/** Follows a log through the API from its start to its end, as `sparkplane logs -f` does. */
export async function followLog(c: Cluster, path: string, seen?: (text: string) => void) {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < 500; i++) {
    const p = await logPage(c, path, `?from=${from}&follow=true&waitSec=5`);
    expect(p.status).toBe(200);
    parts.push(p.bytes);
    seen?.(Buffer.concat(parts).toString());
    from = p.next;
    if (p.complete) return Buffer.concat(parts).toString();
  }
  throw new Error(`${path} never completed`);
}

/** Reads a whole log as it is stored now. */
export async function readLog(c: Cluster, path: string): Promise<{ text: string; first: number }> {
  const parts: Buffer[] = [];
  let from = 0;
  let first: number | undefined;
  for (;;) {
    const p = await logPage(c, path, `?from=${from}`);
    expect(p.status).toBe(200);
    first ??= p.from;
    if (p.bytes.length === 0) return { text: Buffer.concat(parts).toString(), first };
    parts.push(p.bytes);
    from = p.next;
  }
}
