// `npm run demo` (tsx examples/demo.ts): submits the Pi example (examples/pi) to a running
// local stack with Spark's REST `create`, follows the driver, its application and the
// application's executors, and prints the driver's stdout from the API's log route.
//
//   --url URL         the HTTP API (default: local.json's url, else http://127.0.0.1:6066)
//   --slices N        slices of Pi to compute (default 20)
//   --token JWS       sent as `Authorization: Bearer` (default: $SPARKPLANE_TOKEN, if set)
//   --data-dir DIR    the local stack's data dir, holding local.json (default .sparkplane)
//   --timeout S       give up after S seconds (default 600)
//
// Exit code 0 when the driver FINISHED, 1 otherwise.
//
// `npm run demo -- session` runs the Spark Connect session demo instead (examples/session).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sessionDemo } from './session/demo.js';

const APP_NAME = 'Spark Pi (sparkplane example)';
const FINAL_DRIVER_STATES = new Set(['FINISHED', 'FAILED', 'KILLED', 'ERROR', 'NOT_FOUND']);
const POLL_MS = 500;

interface LocalStack {
  readonly url?: string;
}

interface SubmissionStatus {
  readonly success?: boolean;
  readonly driverState?: string;
  readonly workerId?: string;
  readonly workerHostPort?: string;
  readonly message?: string;
}

interface ActiveApp {
  readonly id: string;
  readonly name: string;
  readonly state?: string;
  readonly cores?: number;
  readonly starttime?: number;
}

interface ApplicationView {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly coresGranted?: number;
  readonly executors?: readonly {
    readonly executorId: number | string;
    readonly workerId?: string;
    readonly hostPort?: string;
    readonly cores?: number;
    readonly memoryMb?: number;
    readonly state: string;
    readonly exitStatus?: number;
    readonly message?: string;
  }[];
}

const piOptions = () =>
  parseArgs({
    options: {
      url: { type: 'string' },
      slices: { type: 'string', default: '20' },
      token: { type: 'string' },
      'data-dir': { type: 'string', default: '.sparkplane' },
      timeout: { type: 'string', default: '600' },
    },
    strict: true,
  }).values;

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readLocalStack(dataDir: string): Promise<LocalStack | undefined> {
  const file = path.join(dataDir, 'local.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalStack;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

async function main(): Promise<number> {
  const options = piOptions();
  const slices = Number(options.slices);
  if (!Number.isInteger(slices) || slices < 1) throw new Error('--slices must be an integer ≥ 1');
  const timeoutMs = Number(options.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new Error('--timeout must be a number of seconds > 0');
  const dataDir = path.resolve(options['data-dir']);
  const local = await readLocalStack(dataDir);
  const url = (options.url ?? local?.url ?? 'http://127.0.0.1:6066').replace(/\/+$/, '');
  const token = options.token ?? process.env.SPARKPLANE_TOKEN;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;

  const get = async <T>(route: string): Promise<{ status: number; body: T | undefined }> => {
    const response = await fetch(`${url}${route}`, {
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) as T };
    } catch {
      return { status: response.status, body: undefined };
    }
  };
  const activeApps = async (): Promise<ActiveApp[]> => {
    const r = await get<{ activeapps?: ActiveApp[] }>('/json/activeapps');
    return r.status === 200 ? (r.body?.activeapps ?? []) : [];
  };

  // Applications of the same name that were there before ours are not ours.
  const before = new Set((await activeApps().catch(() => [])).map((a) => a.id));

  const driverPath = fileURLToPath(new URL('./pi/driver.mjs', import.meta.url));
  const request = {
    action: 'CreateSubmissionRequest',
    appResource: driverPath,
    mainClass: 'sparkplane.examples.Pi',
    appArgs: [String(slices)],
    clientSparkVersion: '4.1.1',
    sparkProperties: {
      'spark.app.name': APP_NAME,
      'spark.driver.cores': '1',
      'spark.driver.memory': '512m',
      'spark.executor.memory': '512m',
      'spark.cores.max': '4',
      // The driver waits for executors holding 80 % of spark.cores.max before it hands
      // out work, for at most this long (Spark's default is 30s): enough on a small stack.
      'spark.scheduler.maxRegisteredResourcesWaitingTime': '5s',
    },
    environmentVariables: {},
  };
  log(`Submitting ${driverPath} to ${url}`);
  const created = await fetch(`${url}/v1/submissions/create`, {
    method: 'POST',
    headers,
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(30_000),
  });
  const createText = await created.text();
  let submission: { success?: boolean; submissionId?: string; message?: string } = {};
  try {
    submission = JSON.parse(createText);
  } catch {
    // reported below
  }
  if (created.status !== 200 || !submission.success || !submission.submissionId) {
    log(`The submission was refused (${created.status}): ${submission.message ?? createText}`);
    return 1;
  }
  const driverId = submission.submissionId;
  log(`Submitted: ${driverId}`);

  const deadline = Date.now() + timeoutMs;
  let lastDriver = '';
  let state = '';
  let message: string | undefined;
  let appId: string | undefined;
  let lastApp = '';
  const lastExecutors = new Map<string, string>();
  let complaint = '';
  const complain = (line: string) => {
    if (line !== complaint) log(line);
    complaint = line;
  };

  const showApplication = async () => {
    if (appId === undefined) {
      const mine = (await activeApps()).find((a) => a.name === APP_NAME && !before.has(a.id));
      if (!mine) return;
      appId = mine.id;
    }
    const r = await get<ApplicationView>(`/v1/applications/${appId}`);
    if (r.status !== 200 || !r.body) return;
    const app = r.body;
    const line = `Application ${app.id} (${app.name}): ${app.state}, ${app.coresGranted ?? 0} cores granted`;
    if (line !== lastApp) log(line);
    lastApp = line;
    for (const e of app.executors ?? []) {
      const id = String(e.executorId);
      const exit = e.exitStatus === undefined ? '' : ` (exit ${e.exitStatus})`;
      const seen = `  executor ${id} on ${e.workerId ?? '?'} (${e.hostPort ?? '?'}): ${e.cores ?? '?'} cores, ${e.memoryMb ?? '?'} MiB, ${e.state}${exit}`;
      if (lastExecutors.get(id) !== seen) log(seen);
      lastExecutors.set(id, seen);
    }
  };

  for (;;) {
    if (Date.now() > deadline) {
      log(`Gave up after ${options.timeout} s; the driver is ${state || 'unknown'}`);
      return 1;
    }
    try {
      const r = await get<SubmissionStatus>(`/v1/submissions/status/${driverId}`);
      const status = r.body;
      if (status?.driverState) {
        state = status.driverState;
        message = status.message;
        const where = status.workerId
          ? ` on ${status.workerId}${status.workerHostPort ? ` (${status.workerHostPort})` : ''}`
          : '';
        const line = `Driver ${driverId}: ${state}${where}`;
        if (line !== lastDriver) log(line);
        lastDriver = line;
        complaint = '';
      } else {
        complain(`status answered ${r.status}${status?.message ? `: ${status.message}` : ''}`);
      }
    } catch (e) {
      complain(`status failed: ${(e as Error).message}`);
    }
    try {
      await showApplication();
    } catch (e) {
      complain(`reading the application failed: ${(e as Error).message}`);
    }
    if (FINAL_DRIVER_STATES.has(state)) break;
    await sleep(POLL_MS);
  }
  if (message && state !== 'FINISHED') log(`Driver message: ${message}`);

  // The driver's output, through the API's log routes: its worker may be gone already.
  for (const stream of state === 'FINISHED' ? ['stdout'] : ['stdout', 'stderr']) {
    const parts: Buffer[] = [];
    for (let from = 0; ; ) {
      const r = await fetch(`${url}/v1/drivers/${driverId}/logs/${stream}?from=${from}`, {
        headers,
      });
      if (!r.ok) {
        log(`The ${stream} of ${driverId} could not be read: ${r.status} ${await r.text()}`);
        break;
      }
      const bytes = Buffer.from(await r.arrayBuffer());
      if (bytes.length === 0) break;
      parts.push(bytes);
      from = Number(r.headers.get('x-log-next'));
    }
    const text = Buffer.concat(parts).toString();
    log(`----- ${stream} of ${driverId} -----`);
    process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }
  return state === 'FINISHED' ? 0 : 1;
}

const [mode, ...rest] = process.argv.slice(2);
(mode === 'session' ? sessionDemo(rest) : main()).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause =
      error instanceof Error ? (error.cause as { message?: string } | undefined) : undefined;
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${text}${cause?.message ? ` (${cause.message})` : ''}\n`);
    process.exit(1);
  },
);
