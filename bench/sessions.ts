// Spark Connect sessions on a local stack with 2 worker agents (4 cores each) running the
// pinned Spark: session create → READY (the server listens and its plugin said so), the
// first query from Spark's Python Connect client (the client's process, Python's start
// included), the query's end → executors released (executorIdleTimeout 5s), and DELETE →
// STOPPED. Beside it, in the same run, Spark's own way: its standalone master and a Connect
// server started as start-connect-server.sh does (spark-submit, client mode, on this
// machine), timed from spark-submit to its port accepting connections, and the same first
// query on it.
// BENCH_SESSIONS (default 5) sets how many of each.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SMALL_SESSION } from '../examples/session/demo.js';
import { CONNECT_SERVER } from '../lib/core/session.js';
import { connectClientPython, sparkEnvironment } from '../lib/local/spark.js';
import { freePort, startSparkStandalone } from '../test/harness/spark-standalone.js';
import { startLocalStack } from './local-stack.js';
import { percentile } from './stats.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 5);
const query = fileURLToPath(new URL('../examples/session/query.py', import.meta.url));

type Json = Record<string, unknown>;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`sessions bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', resolve));

function print(figure: string, values: readonly number[], extra: Json = {}): void {
  console.log(
    JSON.stringify({
      bench: 'sessions',
      figure,
      sessions: values.length,
      workers: 2,
      coresPerWorker: 4,
      ...extra,
      medianMs: Math.round(percentile(values, 50)),
      p99Ms: Math.round(percentile(values, 99)),
    }),
  );
}

async function sparkplane(): Promise<void> {
  const stack = await startLocalStack({
    cores: 4,
    memory: '8g',
    firstPort: 7078,
    env: sparkEnvironment(),
  });
  const call = async (method: string, path: string, body?: unknown) =>
    (await (
      await fetch(`${stack.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    ).json()) as Json;
  const ready: number[] = [];
  const firstQuery: number[] = [];
  const released: number[] = [];
  const stopped: number[] = [];
  try {
    for (let i = 0; i < SESSIONS; i++) {
      const t0 = Date.now();
      const { sessionId } = await call('POST', '/v1/sessions', { sparkProperties: SMALL_SESSION });
      const session = () => call('GET', `/v1/sessions/${sessionId}`);
      const s = await until('READY', async () => {
        const now = await session();
        return now.state === 'READY' ? now : undefined;
      });
      ready.push(Date.now() - t0);
      const t1 = Date.now();
      const code = await exitOf(
        spawn(connectClientPython(), [query, String(s.endpoint)], { stdio: 'ignore' }),
      );
      if (code !== 0) throw new Error(`sessions bench: the query failed (exit ${code})`);
      const t2 = Date.now();
      firstQuery.push(t2 - t1);
      await until('executors released', async () =>
        ((await session()).executors as unknown[]).length === 0 ? true : undefined,
      );
      released.push(Date.now() - t2);
      const t3 = Date.now();
      await call('DELETE', `/v1/sessions/${sessionId}`);
      await until('STOPPED', async () =>
        (await session()).state === 'STOPPED' ? true : undefined,
      );
      stopped.push(Date.now() - t3);
    }
  } finally {
    await stack.stop();
  }
  print('create → READY', ready, { master: 'sparkplane' });
  print('first query (client process)', firstQuery, { master: 'sparkplane', rows: 100_000 });
  print('query end → executors released', released, {
    master: 'sparkplane',
    executorIdleTimeoutMs: 5000,
  });
  print('DELETE → STOPPED', stopped, { master: 'sparkplane' });
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Spark's own: a Connect server someone starts and keeps beside its standalone master. */
async function spark(): Promise<void> {
  const env = sparkEnvironment();
  const home = env.SPARK_HOME as string;
  const cluster = await startSparkStandalone({
    sparkHome: home,
    workers: [
      { cores: 4, memory: '8g' },
      { cores: 4, memory: '8g' },
    ],
    env: { ...process.env, ...env },
  });
  const ready: number[] = [];
  const firstQuery: number[] = [];
  try {
    for (let i = 0; i < SESSIONS; i++) {
      const port = await freePort();
      const t0 = Date.now();
      const server = spawn(
        `${home}/bin/spark-submit`,
        [
          ...['--master', cluster.masterUrl, '--class', CONNECT_SERVER],
          ...Object.entries({
            ...SMALL_SESSION,
            'spark.dynamicAllocation.enabled': 'true',
          }).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
          ...['--conf', 'spark.dynamicAllocation.shuffleTracking.enabled=true'],
          ...['--conf', `spark.connect.grpc.binding.port=${port}`],
          'spark-internal',
        ],
        { stdio: 'ignore', env: { ...process.env, ...env } },
      );
      try {
        await until('Spark’s Connect server', async () =>
          (await listening(port)) ? true : undefined,
        );
        ready.push(Date.now() - t0);
        const t1 = Date.now();
        const code = await exitOf(
          spawn(connectClientPython(), [query, `sc://localhost:${port}`], { stdio: 'ignore' }),
        );
        if (code !== 0) throw new Error(`sessions bench: the query failed on Spark (exit ${code})`);
        firstQuery.push(Date.now() - t1);
      } finally {
        if (server.exitCode === null && server.signalCode === null) {
          const exited = exitOf(server);
          server.kill('SIGKILL');
          await exited;
        }
      }
    }
  } finally {
    await cluster.stop();
  }
  print('start → listening', ready, { master: 'spark', how: 'start-connect-server.sh' });
  print('first query (client process)', firstQuery, { master: 'spark', rows: 100_000 });
}

export async function sessionsBench(): Promise<void> {
  await sparkplane();
  await spark();
}
