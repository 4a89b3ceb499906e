// Spark's own standalone cluster from the pinned SPARK_HOME, on free loopback ports:
// `org.apache.spark.deploy.master.Master` with its REST server on and N
// `org.apache.spark.deploy.worker.Worker`s. The differential tests and the benchmarks share
// it; stop() ends every JVM it started (SIGTERM, then SIGKILL).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SparkStandalone {
  /** The REST server, `http://127.0.0.1:<port>`. */
  readonly restUrl: string;
  /** The master's RPC URL, `spark://127.0.0.1:<port>`. */
  readonly masterUrl: string;
  /** The master's web UI, whose `/json/` is MasterStateResponse. */
  readonly uiUrl: string;
  /** The workers, in start order. */
  readonly workers: readonly SparkWorker[];
  /** SIGKILL the master, as when its machine is lost; workers and applications go on. */
  loseMaster(): void;
  /** Start the master again on the same ports and properties (its recovery mode's state). */
  restartMaster(): Promise<void>;
  stop(): Promise<void>;
}

export interface SparkWorker {
  /** `127.0.0.1:<port>`, the worker's RPC address as REST status shows it. */
  readonly hostPort: string;
  readonly workDir: string;
  /** SIGKILL the worker and all it runs (its process group), as when its machine is lost. */
  lose(): void;
}

export interface SparkStandaloneOptions {
  readonly sparkHome: string;
  readonly workers?: readonly { cores: number; memory: string }[];
  /**
   * Cluster properties, as a spark-defaults.conf both read: the master's (SPARK_MASTER_OPTS,
   * beside the REST server's) and the workers' (SPARK_WORKER_OPTS; `spark.worker.timeout`
   * also sets how often a worker heartbeats).
   */
  readonly masterProperties?: Readonly<Record<string, string>>;
  readonly env?: NodeJS.ProcessEnv;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`Spark's ${what} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startSparkStandalone(o: SparkStandaloneOptions): Promise<SparkStandalone> {
  const [port, restPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const base = mkdtempSync(join(tmpdir(), 'sparkplane-spark-standalone-'));
  const processes: ChildProcess[] = [];
  const start = (main: string, args: string[], extra: Record<string, string>): ChildProcess => {
    const p = spawn(join(o.sparkHome, 'bin', 'spark-class'), [main, ...args], {
      env: { ...(o.env ?? process.env), SPARK_HOME: o.sparkHome, SPARK_LOG_DIR: base, ...extra },
      stdio: 'ignore',
      // Its own group: spark-class's launcher and the JVM go together.
      detached: true,
    });
    processes.push(p);
    return p;
  };
  const opts = (props: Readonly<Record<string, string>>) =>
    Object.entries(props)
      .map(([k, v]) => `-D${k}=${v}`)
      .join(' ');
  const props = {
    'spark.master.rest.enabled': 'true',
    'spark.master.rest.port': String(restPort),
    ...o.masterProperties,
  };
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  const startMaster = async () => {
    const p = start(
      'org.apache.spark.deploy.master.Master',
      ['--host', '127.0.0.1', '--port', String(port), '--webui-port', String(uiPort)],
      { SPARK_MASTER_OPTS: opts(props) },
    );
    await until('master', async () => (await fetch(`${uiUrl}/json/`)).ok);
    return p;
  };
  let master: ChildProcess | undefined;
  const standalone: SparkStandalone = {
    restUrl: `http://127.0.0.1:${restPort}`,
    masterUrl: `spark://127.0.0.1:${port}`,
    uiUrl,
    workers: [],
    loseMaster: () => master && signalGroup(master, 'SIGKILL'),
    async restartMaster() {
      master = await startMaster();
    },
    async stop() {
      await Promise.all(processes.map((p) => stopGroup(p)));
    },
  };
  try {
    master = await startMaster();
    for (const [i, w] of (o.workers ?? []).entries()) {
      const workerPort = await freePort();
      const workDir = join(base, `worker-${i + 1}`);
      const p = start(
        'org.apache.spark.deploy.worker.Worker',
        [
          ...['--host', '127.0.0.1', '--port', String(workerPort)],
          ...['--cores', String(w.cores), '--memory', w.memory, '--work-dir', workDir],
          ...['--webui-port', String(await freePort()), standalone.masterUrl],
        ],
        { SPARK_WORKER_OPTS: opts(o.masterProperties ?? {}) },
      );
      (standalone.workers as SparkWorker[]).push({
        hostPort: `127.0.0.1:${workerPort}`,
        workDir,
        lose: () => signalGroup(p, 'SIGKILL'),
      });
    }
    const count = o.workers?.length ?? 0;
    await until('workers', async () => {
      const json = (await (await fetch(`${standalone.uiUrl}/json/`)).json()) as {
        aliveworkers: number;
      };
      return json.aliveworkers === count;
    });
  } catch (e) {
    await standalone.stop();
    throw e;
  }
  return standalone;
}

function signalGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (p.pid !== undefined) process.kill(-p.pid, signal);
  } catch {
    // gone
  }
}

function stopGroup(p: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return done();
    const kill = (signal: NodeJS.Signals) => signalGroup(p, signal);
    const force = setTimeout(() => kill('SIGKILL'), 10_000);
    p.once('exit', () => {
      clearTimeout(force);
      kill('SIGKILL'); // what the group may still hold
      done();
    });
    kill('SIGTERM');
  });
}
