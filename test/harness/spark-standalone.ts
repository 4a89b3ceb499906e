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
  /** Each worker's work directory, in start order. */
  readonly workDirs: readonly string[];
  readonly processes: readonly ChildProcess[];
  stop(): Promise<void>;
}

export interface SparkStandaloneOptions {
  readonly sparkHome: string;
  readonly workers?: readonly { cores: number; memory: string }[];
  /** Master properties (`-Dk=v` in SPARK_MASTER_OPTS), beside the REST server's. */
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
  const start = (main: string, args: string[], extra: Record<string, string>) => {
    const p = spawn(join(o.sparkHome, 'bin', 'spark-class'), [main, ...args], {
      env: { ...(o.env ?? process.env), SPARK_HOME: o.sparkHome, SPARK_LOG_DIR: base, ...extra },
      stdio: 'ignore',
      // Its own group: spark-class's launcher and the JVM go together.
      detached: true,
    });
    processes.push(p);
  };
  const props = {
    'spark.master.rest.enabled': 'true',
    'spark.master.rest.port': String(restPort),
    ...o.masterProperties,
  };
  start(
    'org.apache.spark.deploy.master.Master',
    ['--host', '127.0.0.1', '--port', String(port), '--webui-port', String(uiPort)],
    {
      SPARK_MASTER_OPTS: Object.entries(props)
        .map(([k, v]) => `-D${k}=${v}`)
        .join(' '),
    },
  );
  const standalone: SparkStandalone = {
    restUrl: `http://127.0.0.1:${restPort}`,
    masterUrl: `spark://127.0.0.1:${port}`,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    workDirs: (o.workers ?? []).map((_, i) => join(base, `worker-${i + 1}`)),
    processes,
    async stop() {
      await Promise.all(processes.map((p) => stopGroup(p)));
    },
  };
  try {
    await until('master', async () => (await fetch(`${standalone.uiUrl}/json/`)).ok);
    for (const [i, w] of (o.workers ?? []).entries()) {
      start(
        'org.apache.spark.deploy.worker.Worker',
        [
          ...['--host', '127.0.0.1', '--cores', String(w.cores), '--memory', w.memory],
          ...['--work-dir', standalone.workDirs[i] as string],
          ...['--webui-port', String(await freePort()), standalone.masterUrl],
        ],
        {},
      );
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

function stopGroup(p: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return done();
    const pid = p.pid;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // gone
      }
    };
    const force = setTimeout(() => kill('SIGKILL'), 10_000);
    p.once('exit', () => {
      clearTimeout(force);
      kill('SIGKILL'); // what the group may still hold
      done();
    });
    kill('SIGTERM');
  });
}
