// `npm start`: the whole control plane on one machine — DynamoDB Local and fauxqs, every
// route on Spark's REST port behind the local gateway, the scheduler on its nudge queue,
// cleanup on a timer — and N worker agents as child processes.
//
//   npm start -- --workers 2 --cores 4 --memory 4g [--port 6066] [--data-dir DIR]
//                [--conf spark.deploy.spreadOutApps=false ...] [--auth]
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AUTH_OFF, type AuthConfig, jwsAuth, mintToken } from '../api/auth.js';
import { authFromEnv } from '../api/deps.js';
import { propertiesFromJavaOptions } from '../core/config.js';
import { workerUnknown } from '../core/lifecycle.js';
import { memoryStringToMb } from '../core/properties.js';
import { applyEvent } from '../store/apply.js';
import { loadActiveCluster } from '../store/cluster.js';
import { loadScope } from '../store/scope.js';
import { buildUiPage } from '../ui/page.js';
import { othersCanRun, passThroughDir } from '../worker/isolation.js';
import { startControlPlane } from './control-plane.js';
import { LOCAL_AWS, startEmulators } from './emulators.js';
import { sparkEnvironment, sparkPython } from './spark.js';
import { LocalLauncher } from './workers.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    // With --max-workers the pool is elastic, as in AWS: at least --workers, at most this.
    'max-workers': { type: 'string' },
    'idle-timeout': { type: 'string', default: '600' },
    // Cores are Spark's slots, not CPUs: a small machine still gets room for the demo.
    cores: { type: 'string', default: String(Math.max(4, availableParallelism())) },
    memory: { type: 'string', default: '2g' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '6066' },
    'data-dir': { type: 'string' },
    conf: { type: 'string', multiple: true, default: [] },
    auth: { type: 'boolean', default: false },
  },
});

// Everything the local stack writes (the table's files, logs, work directories) is private
// to its user; workers open up only what their run-as user must pass through.
process.umask(0o077);
const base = resolve(values['data-dir'] ?? '.sparkplane');
const workers = Number(values.workers);
const sparkProperties = {
  // The gateway is the REST server: /json's spark:// URL names the port it listens on.
  'spark.master.rest.port': values.port,
  ...propertiesFromJavaOptions(process.env.SPARK_MASTER_OPTS ?? ''),
  ...Object.fromEntries(
    (values.conf ?? []).map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--conf expects key=value, not ${kv}`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  ),
};

/** With --auth: the keys from the environment, or fresh ones for this run. */
async function auth(): Promise<{ config: AuthConfig; workerKey?: string }> {
  if (!values.auth) return { config: AUTH_OFF };
  if (process.env.SPARKPLANE_SUBMISSION_KEY && process.env.SPARKPLANE_WORKER_KEY) {
    return {
      config: await authFromEnv(process.env),
      workerKey: process.env.SPARKPLANE_WORKER_KEY,
    };
  }
  const submission = randomBytes(32);
  const worker = randomBytes(32);
  return { config: jwsAuth(submission, worker), workerKey: worker.toString('base64url') };
}

mkdirSync(join(base, 'logs'), { recursive: true });
// The workers' run-as user passes through these to its own directories (not listing them).
for (const dir of [base, join(base, 'work')]) passThroughDir(dir, true);
// The workers run Spark's drivers and executors: the pinned Spark (installed when missing,
// unless SPARK_HOME names another) and sparkplane's plugin, built when missing.
const sparkEnv = sparkEnvironment();
// As root the agents run user code as `nobody` (SPARKPLANE_RUN_AS), who must be able to run
// the pinned Spark's Python: a Python under a private home (pyenv's in /root) it cannot.
if (
  process.getuid?.() === 0 &&
  process.env.SPARKPLANE_RUN_AS === undefined &&
  sparkEnv.PYSPARK_PYTHON === sparkPython &&
  !othersCanRun(sparkPython)
) {
  process.stderr.write(
    `warning: PySpark jobs will fail: user code runs as nobody, who cannot run ${sparkPython}; remove .spark/ and start again with PYTHON=<a Python outside a private home>, or set SPARKPLANE_RUN_AS= to run user code as root\n`,
  );
}
// --data-dir keeps the table on disk; without it, every start is a fresh cluster.
const dataDir = values['data-dir'] ? join(base, 'dynamodb') : undefined;
if (dataDir) mkdirSync(dataDir, { recursive: true });
const emulators = await startEmulators({
  callerHandlesSignals: true,
  ...(dataDir ? { dataDir } : {}),
});
const { config: authConfig, workerKey } = await auth();
let launcher: LocalLauncher | undefined;
let agentExited: ((instanceId: string, reason: string) => void) | undefined;
const connect = (url: string) =>
  (launcher = new LocalLauncher({
    masterUrl: url,
    cores: Number(values.cores),
    memory: values.memory,
    workDirs: join(base, 'work'),
    firstPort: 7078,
    logDir: join(base, 'logs'),
    env: { ...process.env, ...sparkEnv },
    sparkWorkerOpts: Object.entries(sparkProperties)
      .filter(([k]) => k.startsWith('spark.worker.'))
      .map(([k, v]) => `-D${k}=${v}`)
      .join(' '),
    ...(workerKey ? { workerKey } : {}),
    // An agent that dies is lost at once, as ECS's stopped-task event makes it in AWS.
    onExit: (instanceId, reason) => agentExited?.(instanceId, reason),
  }));
const maxWorkers = Number(values['max-workers'] ?? workers);
const elastic = values['max-workers'] !== undefined;
const cp = await startControlPlane({
  dynamodbEndpoint: emulators.dynamodbEndpoint,
  sqsEndpoint: emulators.sqsEndpoint,
  aws: LOCAL_AWS,
  host: values.host,
  port: Number(values.port),
  auth: authConfig,
  sparkProperties,
  uiPage: buildUiPage(),
  // State-change events, one JSON line each, beside the work directories.
  eventsFile: join(base, 'events.jsonl'),
  ...(elastic
    ? {
        pool: (url: string) => ({
          launcher: connect(url),
          settings: {
            minWorkers: workers,
            maxWorkers,
            workerCores: Number(values.cores),
            workerMemoryMb: memoryStringToMb(
              /^\d+$/.test(values.memory) ? `${values.memory}m` : values.memory,
            ),
            idleTimeoutMs: Number(values['idle-timeout']) * 1000,
          },
          registrationGraceMs: 60_000,
        }),
      }
    : {}),
});

agentExited = (instanceId, reason) => void cp.instanceStopped(instanceId, reason);

if (dataDir) {
  // The same data again: the workers of the last run died with it (their agents share the
  // stack's fate), so, as Spark's master recovering, each is UNKNOWN until an agent
  // registers at its address and replaces it, or the worker timeout removes it.
  const { table } = cp.deps;
  const { cluster } = await loadActiveCluster(table);
  for (const w of Object.values(cluster.workers)) {
    if (w.state !== 'ALIVE') continue;
    await applyEvent(
      table,
      () => loadScope(table, { workers: [w.id] }),
      (c) => workerUnknown(c, w.id),
      { now: Date.now(), config: cp.deps.master },
    );
  }
}

const agents = launcher ?? connect(cp.url);
if (!elastic) await agents.launch(workers, 'local');
const workDirs = Array.from({ length: elastic ? maxWorkers : workers }, (_, i) =>
  join(base, 'work', `worker-${i + 1}`),
);
writeFileSync(join(base, 'local.json'), `${JSON.stringify({ url: cp.url, workDirs }, null, 2)}\n`);

const [submissionKey] = authConfig.keys.submission;
const token = submissionKey ? await mintToken(submissionKey, {}, 24 * 3600) : undefined;

// Ready when every worker has registered; not ready (and said so) when they did not.
const deadline = Date.now() + 60_000;
let registered = 0;
while (registered < workers && Date.now() <= deadline) {
  const answer = await fetch(`${cp.url}/json/aliveworkers`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  registered = ((await answer.json()) as { aliveworkers?: number }).aliveworkers ?? 0;
  if (registered < workers) await new Promise((r) => setTimeout(r, 200));
}
if (registered < workers) {
  console.error(
    `not ready: only ${registered} of ${workers} workers registered; see ${join(base, 'logs')}`,
  );
} else {
  console.log(
    `sparkplane ready: UI ${cp.url}/ · REST ${cp.url}/v1/submissions (spark://${values.host}:${values.port}) · ` +
      `/json ${cp.url}/json · ${workers} worker(s), logs in ${join(base, 'logs')} · ` +
      `events in ${cp.eventsFile} · ` +
      `Spark ${sparkEnv.SPARK_HOME}` +
      (token ? ` · token ${token}` : ''),
  );
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('stopping: workers decommission and stop their processes…');
  await agents.stopAll();
  await cp.close();
  await emulators.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
