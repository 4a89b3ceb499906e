// Worker agents as local child processes: what ECS tasks are in AWS. Used by `npm start`,
// the end-to-end tests and the end-to-end benchmark.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_AWS } from './emulators.js';

export interface LocalWorkerOptions {
  readonly masterUrl: string;
  readonly sqsEndpoint: string;
  readonly count: number;
  readonly cores: number;
  /** A Spark memory string per worker, e.g. `4g`. */
  readonly memory: string;
  /** Worker i works in `<workDirs>/worker-<i>`. */
  readonly workDirs: string;
  /** Workers listen as 127.0.0.1:<firstPort + i>, their identity in the cluster. */
  readonly firstPort: number;
  /** Where each worker's output goes (`worker-<i>.log`); inherited when absent. */
  readonly logDir?: string;
  readonly workerKey?: string;
  readonly sparkWorkerOpts?: string;
  /** The environment the workers (and so their drivers and executors) get. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface LocalWorkers {
  readonly processes: readonly ChildProcess[];
  readonly workDirs: readonly string[];
  /** SIGTERM, as ECS stops a task: each worker decommissions and stops its processes. */
  stop(graceMs?: number): Promise<void>;
}

const workerMain = fileURLToPath(new URL('../worker/main.ts', import.meta.url));

export function startLocalWorkers(o: LocalWorkerOptions): LocalWorkers {
  const processes: ChildProcess[] = [];
  const workDirs: string[] = [];
  for (let i = 1; i <= o.count; i++) {
    const workDir = join(o.workDirs, `worker-${i}`);
    workDirs.push(workDir);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        workerMain,
        ...['--master', o.masterUrl, '--host', '127.0.0.1', '--port', String(o.firstPort + i - 1)],
        ...['--cores', String(o.cores), '--memory', o.memory, '--work-dir', workDir],
      ],
      {
        env: {
          ...(o.env ?? process.env),
          AWS_ENDPOINT_URL_SQS: o.sqsEndpoint,
          AWS_REGION: LOCAL_AWS.region,
          AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...(o.sparkWorkerOpts ? { SPARK_WORKER_OPTS: o.sparkWorkerOpts } : {}),
          ...(o.workerKey ? { SPARKPLANE_WORKER_KEY: o.workerKey } : {}),
        },
        stdio: ['ignore', o.logDir ? 'pipe' : 'inherit', o.logDir ? 'pipe' : 'inherit'],
      },
    );
    if (o.logDir) {
      const log = createWriteStream(join(o.logDir, `worker-${i}.log`), { flags: 'a' });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    processes.push(child);
  }
  return {
    processes,
    workDirs,
    async stop(graceMs = 20_000) {
      await Promise.all(
        processes.map(
          (p) =>
            new Promise<void>((done) => {
              if (p.exitCode !== null || p.signalCode !== null) return done();
              const force = setTimeout(() => p.kill('SIGKILL'), graceMs);
              p.once('exit', () => {
                clearTimeout(force);
                done();
              });
              p.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
