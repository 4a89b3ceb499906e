// The worker agent's entry point (the ECS container's command, or a local process):
//   node lib/worker/main.ts --master http://127.0.0.1:6066 [--cores 4] [--memory 4g] ...
// Flags win over Spark's environment variables (SPARK_WORKER_CORES, _MEMORY, _PORT, _DIR,
// SPARK_WORKER_OPTS with -Dspark.worker.*), which win over Spark's defaults.
import { readFileSync } from 'node:fs';
import { availableParallelism, networkInterfaces, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { decodeKeys } from '../api/auth.js';
import { propertiesFromJavaOptions, workerConfig } from '../core/config.js';
import { workerId } from '../core/ids.js';
import { memoryStringToMb } from '../core/properties.js';
import { RegistrationRefused, WorkerAgent } from './agent.js';
import { chooseRunAs } from './isolation.js';

const { values } = parseArgs({
  options: {
    master: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    cores: { type: 'string' },
    memory: { type: 'string' },
    'work-dir': { type: 'string' },
    'resources-file': { type: 'string' },
    'run-as': { type: 'string' },
  },
});
const env = process.env;

/** Spark binds to the machine's address; a Fargate task has exactly one. */
function defaultHost(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Spark's worker resources file: `[{id: {componentName, resourceName}, addresses}]`. */
function readResources(path: string | undefined): Record<string, string[]> {
  if (!path) return {};
  const entries = JSON.parse(readFileSync(path, 'utf8')) as {
    id: { resourceName: string };
    addresses: string[];
  }[];
  return Object.fromEntries(entries.map((e) => [e.id.resourceName, e.addresses.map(String)]));
}

/** In ECS, the task's ARN from the metadata endpoint; locally, what the launcher set. */
async function instanceId(): Promise<string | undefined> {
  if (env.SPARKPLANE_INSTANCE_ID) return env.SPARKPLANE_INSTANCE_ID;
  const metadata = env.ECS_CONTAINER_METADATA_URI_V4;
  if (!metadata) return undefined;
  const task = (await (await fetch(`${metadata}/task`)).json()) as { TaskARN?: string };
  return task.TaskARN;
}

const master = values.master ?? env.SPARKPLANE_MASTER_URL;
if (!master) {
  console.error('--master <http URL of the sparkplane API> (or SPARKPLANE_MASTER_URL) is required');
  process.exit(2);
}
const config = workerConfig(propertiesFromJavaOptions(env.SPARK_WORKER_OPTS ?? ''));
const host = values.host ?? env.SPARK_WORKER_HOST ?? env.SPARK_LOCAL_IP ?? defaultHost();
const port = Number(values.port ?? env.SPARK_WORKER_PORT ?? 7078);
// Spark's defaults: every core, all memory but 1 GiB (at least 1 GiB).
const cores = Number(values.cores ?? env.SPARK_WORKER_CORES ?? availableParallelism());
const memory = values.memory ?? env.SPARK_WORKER_MEMORY;
const memoryMb = memory
  ? memoryStringToMb(/^\d+$/.test(memory) ? `${memory}m` : memory)
  : Math.max(1024, Math.floor(totalmem() / 2 ** 20) - 1024);
const id = workerId(config.idPattern, Date.now(), host, port);
const logger = new Logger({ serviceName: 'sparkplane-worker', persistentKeys: { workerId: id } });

const { runAs, warning } = chooseRunAs(
  values['run-as'] ?? env.SPARKPLANE_RUN_AS,
  process.getuid?.() ?? -1,
);
if (warning) logger.warn(warning);

const instance = await instanceId();
const agent = new WorkerAgent({
  workerId: id,
  place: {
    host,
    port,
    masterUrl: master.replace(/^spark:\/\//, 'http://').replace(/\/+$/, ''),
    ...(env.SPARK_HOME ? { sparkHome: env.SPARK_HOME } : {}),
    ...(env.JAVA_HOME ? { javaHome: env.JAVA_HOME } : {}),
    ...(env.SPARKPLANE_SPARK_JAR ? { sparkJar: env.SPARKPLANE_SPARK_JAR } : {}),
    node: process.execPath,
  },
  cores,
  memoryMb,
  resources: readResources(values['resources-file'] ?? env.SPARK_WORKER_RESOURCE_FILE),
  workDir: resolve(values['work-dir'] ?? env.SPARK_WORKER_DIR ?? 'work'),
  config,
  ...(env.SPARKPLANE_WORKER_KEY
    ? { workerKey: decodeKeys('SPARKPLANE_WORKER_KEY', env.SPARKPLANE_WORKER_KEY)[0] as Uint8Array }
    : {}),
  logger,
  ...(instance ? { instanceId: instance } : {}),
  ...(env.SPARKPLANE_LAUNCH_TOKEN ? { launchToken: env.SPARKPLANE_LAUNCH_TOKEN } : {}),
  ...(runAs ? { runAs } : {}),
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: decommissioning and stopping every process', { signal });
    agent.stop().then(
      () => process.exit(0),
      (e: Error) => {
        logger.error('stop failed', { error: e });
        process.exit(1);
      },
    );
  });
}

try {
  await agent.start();
  logger.info('worker running', { host, port, cores, memoryMb, master });
} catch (e) {
  // Spark's worker exits when it cannot register (RegisterWorkerFailed or no master).
  logger.error(e instanceof RegistrationRefused ? 'registration refused' : 'cannot register', {
    error: e as Error,
  });
  process.exit(1);
}
