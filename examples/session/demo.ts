// `npm run demo -- session`: starts a Spark Connect session on a running local stack, runs a
// query with a shuffle from Spark's Python Connect client (PyPI's pyspark-client), and shows
// the session's executors coming and going until it stops by itself after its idle timeout.
//
//   --url URL            the HTTP API (default: local.json's url, else http://127.0.0.1:6066)
//   --token JWS          sent as `Authorization: Bearer` (default: $SPARKPLANE_TOKEN, if set)
//   --idle-timeout S     the session's idle timeout (default 30)
//   --data-dir DIR       the local stack's data dir, holding local.json (default .sparkplane)
//
// Exit code 0 when the session ran the query and stopped by itself, 1 otherwise.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectClientPython } from '../../lib/local/spark.js';

interface Session {
  readonly sessionId: string;
  readonly state: string;
  readonly driverState: string;
  readonly workerId?: string;
  readonly endpoint?: string;
  readonly url?: string;
  readonly stopReason?: string;
  readonly coresInUse: number;
  readonly executors: readonly { executorId: number; workerId: string; cores: number }[];
}

/** A session that fits a small machine, whose executors go back soon after a query. */
export const SMALL_SESSION: Readonly<Record<string, string>> = {
  'spark.driver.memory': '768m',
  'spark.executor.memory': '512m',
  'spark.executor.cores': '1',
  'spark.dynamicAllocation.maxExecutors': '4',
  'spark.dynamicAllocation.executorIdleTimeout': '5s',
  'spark.dynamicAllocation.shuffleTracking.timeout': '5s',
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function sessionDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'idle-timeout': { type: 'string', default: '30' },
      'data-dir': { type: 'string', default: '.sparkplane' },
    },
    strict: true,
  });
  const idleTimeoutSec = Number(values['idle-timeout']);
  if (!Number.isInteger(idleTimeoutSec) || idleTimeoutSec < 1) {
    throw new Error('--idle-timeout must be a whole number of seconds ≥ 1');
  }
  const local = await readFile(path.resolve(values['data-dir'], 'local.json'), 'utf8').then(
    (t) => JSON.parse(t) as { url?: string },
    () => undefined,
  );
  const url = (values.url ?? local?.url ?? 'http://127.0.0.1:6066').replace(/\/+$/, '');
  const token = values.token ?? process.env.SPARKPLANE_TOKEN;
  const headers = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const call = async (method: string, route: string, body?: unknown) => {
    const r = await fetch(`${url}${route}`, {
      method,
      headers,
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await r.json()) as Record<string, unknown>;
    if (!r.ok) throw new Error(`${method} ${route} answered ${r.status}: ${String(json.message)}`);
    return json;
  };

  const created = await call('POST', '/v1/sessions', {
    name: 'sparkplane demo session',
    idleTimeoutSec,
    sparkProperties: SMALL_SESSION,
  });
  const id = String(created.sessionId);
  log(`Session ${id} created at ${url}, idle timeout ${idleTimeoutSec} s`);

  let last = '';
  const show = async (): Promise<Session> => {
    const s = (await call('GET', `/v1/sessions/${id}`)) as unknown as Session;
    const executors = s.executors.map((e) => `${e.executorId}@${e.workerId}`).join(', ');
    const line = `  ${s.state} (driver ${s.driverState}${s.workerId ? ` on ${s.workerId}` : ''}), ${s.coresInUse} cores in use, executors: ${executors || 'none'}`;
    if (line !== last) log(line);
    last = line;
    return s;
  };

  let s = await show();
  while (s.state === 'STARTING') {
    await sleep(500);
    s = await show();
  }
  if (s.state !== 'READY' || !s.endpoint) {
    log(`The session did not start: ${s.state}`);
    return 1;
  }
  log(`Ready: connect with SparkSession.builder.remote("${s.endpoint}")`);

  log('Running a query with a shuffle from the Python Connect client…');
  const query = fileURLToPath(new URL('./query.py', import.meta.url));
  const client = spawn(connectClientPython(), [query, s.endpoint], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  client.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => client.once('exit', resolve));
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  while (code === undefined) {
    await show();
    await sleep(500);
  }
  if (code !== 0) {
    log(`The client failed (exit ${code})`);
    return 1;
  }
  log(`Answer: ${out.trim()}`);

  log(`Now idle: executors go after 5 s, the session after ${idleTimeoutSec} s…`);
  for (;;) {
    s = await show();
    if (s.state === 'STOPPED' || s.state === 'FAILED') break;
    await sleep(1000);
  }
  log(`Session ${id}: ${s.state} (${s.stopReason ?? 'no reason'}), driver ${s.driverState}`);
  return s.state === 'STOPPED' && s.stopReason === 'idle' ? 0 : 1;
}
