// Worker agents as local child processes: what ECS tasks are in AWS, behind the same
// `WorkerLauncher`. Used by `npm start`, the end-to-end tests and the e2e benchmark.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerInstance, WorkerLauncher } from '../cloud/worker-pool.js';
import { sharingFate } from '../worker/fate.js';
import { passThroughDir } from '../worker/isolation.js';

export interface LocalWorkerOptions {
  readonly masterUrl: string;
  readonly cores: number;
  /** A Spark memory string per worker, e.g. `4g`. */
  readonly memory: string;
  /** The n-th worker started works in `<workDirs>/worker-<n>`. */
  readonly workDirs: string;
  /** Workers listen as 127.0.0.1:<firstPort + n - 1>, their identity in the cluster. */
  readonly firstPort: number;
  /** Where each worker's output goes (`worker-<n>.log`); inherited when absent. */
  readonly logDir?: string;
  readonly workerKey?: string;
  readonly sparkWorkerOpts?: string;
  /** The environment the workers (and so their drivers and executors) get. */
  readonly env?: NodeJS.ProcessEnv;
  /** Told when an agent's process ends, as ECS tells of a stopped task. */
  readonly onExit?: (instanceId: string, reason: string) => void;
}

const workerMain = fileURLToPath(new URL('../worker/main.ts', import.meta.url));

/** A fresh directory for workers' work directories, which their run-as user passes through. */
export function tempWorkDirs(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  passThroughDir(dir, true);
  return dir;
}

interface Local {
  readonly process: ChildProcess;
  readonly workDir: string;
  readonly startedAtMs: number;
}

export class LocalLauncher implements WorkerLauncher {
  private readonly running = new Map<string, Local>();
  private started = 0;

  constructor(private readonly o: LocalWorkerOptions) {}

  /** Every worker started so far, in order: its process and work directory. */
  readonly all: Local[] = [];

  async launch(count: number, token: string): Promise<void> {
    for (let i = 0; i < count; i++) this.startOne(token);
  }

  private startOne(token: string): void {
    const n = ++this.started;
    const instanceId = `local-${randomUUID()}`;
    const workDir = join(this.o.workDirs, `worker-${n}`);
    // An agent dies with the stack that started it, and its drivers and executors with it.
    const [command, ...args] = sharingFate([
      process.execPath,
      '--import',
      'tsx',
      workerMain,
      ...['--master', this.o.masterUrl, '--host', '127.0.0.1'],
      ...['--port', String(this.o.firstPort + n - 1)],
      ...['--cores', String(this.o.cores), '--memory', this.o.memory, '--work-dir', workDir],
    ]);
    const child = spawn(command as string, args, {
      env: {
        ...(this.o.env ?? process.env),
        SPARKPLANE_INSTANCE_ID: instanceId,
        SPARKPLANE_LAUNCH_TOKEN: token,
        ...(this.o.sparkWorkerOpts ? { SPARK_WORKER_OPTS: this.o.sparkWorkerOpts } : {}),
        ...(this.o.workerKey ? { SPARKPLANE_WORKER_KEY: this.o.workerKey } : {}),
      },
      stdio: ['ignore', this.o.logDir ? 'pipe' : 'inherit', this.o.logDir ? 'pipe' : 'inherit'],
    });
    if (this.o.logDir) {
      const log = createWriteStream(join(this.o.logDir, `worker-${n}.log`), { flags: 'a' });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    const local = { process: child, workDir, startedAtMs: Date.now() };
    this.running.set(instanceId, local);
    this.all.push(local);
    child.once('exit', (code, signal) => {
      this.running.delete(instanceId);
      this.o.onExit?.(instanceId, `worker process exited (${signal ?? `code ${code}`})`);
    });
  }

  /** SIGTERM, as ECS stops a task: the worker decommissions and stops its processes. */
  async stop(instanceId: string, _reason: string, graceMs = 20_000): Promise<void> {
    const local = this.running.get(instanceId);
    if (local) await terminate(local.process, graceMs);
  }

  async list(): Promise<WorkerInstance[]> {
    return [...this.running].map(([instanceId, l]) => ({ instanceId, startedAtMs: l.startedAtMs }));
  }

  async stopAll(graceMs = 20_000): Promise<void> {
    await Promise.all([...this.running.values()].map((l) => terminate(l.process, graceMs)));
  }
}

function terminate(p: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((done) => {
    if (p.exitCode !== null || p.signalCode !== null) return done();
    const force = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(force);
      done();
    });
    p.kill('SIGTERM');
  });
}
