// One scenario, two masters: Spark 4.1.1's own standalone cluster and a sparkplane cluster
// with workers of the same shapes, each seen through a `Side` that does the same things the
// way that master does them (its REST server, its /json, its UI's kill, a lost worker).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { examplesJar, pluginJar, sparkHome } from '../../lib/local/spark.js';
import { type SparkStandalone, startSparkStandalone } from '../harness/spark-standalone.js';
import { createRequest } from '../harness/spark-submit.js';
import { type Cluster, loseWorker, until as pollUntil, startCluster } from './cluster.js';

export interface WorkerShape {
  readonly cores: number;
  readonly memory: string;
}

/** The parts of Spark's MasterStateResponse (`/json`) the scenarios compare. */
export interface MasterJson {
  readonly workers: {
    host: string;
    port: number;
    cores: number;
    memory: number;
    coresused: number;
    memoryused: number;
    state: string;
  }[];
  readonly activeapps: { id: string; state: string; cores: number }[];
  readonly completedapps: { id: string; state: string }[];
  readonly activedrivers: { id: string; state: string }[];
  readonly completeddrivers: { id: string; state: string }[];
}

export interface Side {
  readonly name: 'spark' | 'sparkplane';
  /** Where Spark's REST submission protocol is served. */
  readonly restUrl: string;
  /** A client's `--master`. */
  readonly master: string;
  /** What a client's spark-submit needs besides (sparkplane's plugin). */
  readonly clientArgs: readonly string[];
  json(): Promise<MasterJson>;
  /** A driver's stdout or stderr in whichever worker ran it ('' if none did). */
  driverLog(id: string, name: 'stdout' | 'stderr'): string;
  /** SIGKILL the worker at `host:port` and everything it runs. */
  loseWorker(hostPort: string): void;
  /** What the UI's "(kill)" link of an application does. */
  killApplication(appId: string): Promise<void>;
}

const fromDirs = (dirs: readonly string[], id: string, name: string): string => {
  const file = dirs.map((d) => join(d, id, name)).find((f) => existsSync(f));
  return file ? readFileSync(file, 'utf8') : '';
};

function sparkSide(s: SparkStandalone): Side {
  const dirs = s.workers.map((w) => w.workDir);
  return {
    name: 'spark',
    restUrl: s.restUrl,
    master: s.masterUrl,
    clientArgs: [],
    json: async () => (await (await fetch(`${s.uiUrl}/json/`)).json()) as MasterJson,
    driverLog: (id, name) => fromDirs(dirs, id, name),
    loseWorker(hostPort) {
      const w = s.workers.find((x) => x.hostPort === hostPort);
      if (!w) throw new Error(`no Spark worker at ${hostPort}`);
      w.lose();
    },
    async killApplication(appId) {
      // MasterPage.handleAppKillRequest, as the page's form posts it.
      const answer = await fetch(`${s.uiUrl}/app/kill/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id: appId, terminate: 'true' }),
        redirect: 'manual',
      });
      if (answer.status >= 400) throw new Error(`Spark's UI kill answered ${answer.status}`);
    },
  };
}

function sparkplaneSide(c: Cluster): Side {
  return {
    name: 'sparkplane',
    restUrl: c.url,
    master: `sparkplane://${new URL(c.url).host}`,
    clientArgs: ['--jars', pluginJar],
    json: async () => (await c.get('/json')) as unknown as MasterJson,
    driverLog: (id, name) => fromDirs(c.workDirs, id, name),
    loseWorker(hostPort) {
      const index = c.hostPorts.indexOf(hostPort);
      if (index < 0) throw new Error(`no sparkplane worker at ${hostPort}`);
      loseWorker(c, index);
    },
    async killApplication(appId) {
      const answer = await c.post(`/v1/applications/${encodeURIComponent(appId)}/kill`);
      if (answer.success === false) throw new Error(`sparkplane's kill: ${answer.message}`);
    },
  };
}

export interface SideBySide {
  /** Spark's, then sparkplane's. */
  readonly sides: readonly [Side, Side];
  stop(): Promise<void>;
}

/** Both clusters, workers of the same shapes, the same master properties on both. */
export async function sideBySide(
  shapes: readonly WorkerShape[],
  masterProperties: Readonly<Record<string, string>> = {},
): Promise<SideBySide> {
  const [spark, sparkplane] = await Promise.allSettled([
    startSparkStandalone({ sparkHome: sparkHome(), workers: shapes, masterProperties }),
    startCluster({ shapes, spark: true, sparkProperties: { ...masterProperties } }),
  ]);
  const stop = () =>
    Promise.all([
      spark.status === 'fulfilled' ? spark.value.stop() : undefined,
      sparkplane.status === 'fulfilled' ? sparkplane.value.stop() : undefined,
    ]).then(() => undefined);
  if (spark.status === 'rejected' || sparkplane.status === 'rejected') {
    await stop();
    throw spark.status === 'rejected' ? spark.reason : (sparkplane as PromiseRejectedResult).reason;
  }
  return { sides: [sparkSide(spark.value), sparkplaneSide(sparkplane.value)], stop };
}

/** Runs the same scenario on both sides at once: Spark's result, then sparkplane's. */
export const onBoth = <T>(both: SideBySide, scenario: (side: Side) => Promise<T>) =>
  Promise.all(both.sides.map(scenario)) as Promise<[T, T]>;

/**
 * Each alive worker as [cores, memory MB, cores used, memory used], sorted: worker ids differ
 * between the two masters, shapes and what is used on them do not.
 */
export async function usage(side: Side): Promise<number[][]> {
  const json = await side.json();
  return json.workers
    .filter((w) => w.state === 'ALIVE')
    .map((w) => [w.cores, w.memory, w.coresused, w.memoryused])
    .sort((a, b) => {
      for (let i = 0; i < a.length; i++) {
        const d = (a[i] as number) - (b[i] as number);
        if (d !== 0) return d;
      }
      return 0;
    });
}

/** `until` with room for JVMs to start on a small machine. */
export const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  pollUntil(what, probe, 150_000);

export type DriverStatus = Record<string, unknown> & { driverState: string };

/** A driver of the examples jar, by Spark's REST create: `DriverExit <seconds> <code>`. */
export async function createDriver(
  side: Side,
  args: readonly [seconds: number, exitCode: number],
  props: Readonly<Record<string, string>> = {},
): Promise<string> {
  const answer = (await (
    await fetch(`${side.restUrl}/v1/submissions/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        createRequest(`file:${examplesJar}`, {
          mainClass: 'sparkplane.examples.DriverExit',
          args: args.map(String),
          props: {
            'spark.master': 'spark://127.0.0.1:7077',
            'spark.app.name': 'DriverExit',
            'spark.driver.memory': '512m',
            'spark.driver.cores': '1',
            ...props,
          },
        }),
      ),
    })
  ).json()) as { success: boolean; submissionId?: string; message?: string };
  if (!answer.success || !answer.submissionId) {
    throw new Error(`${side.name} refused the driver: ${answer.message}`);
  }
  return answer.submissionId;
}

export const driverStatus = async (side: Side, id: string): Promise<DriverStatus> =>
  (await (await fetch(`${side.restUrl}/v1/submissions/status/${id}`)).json()) as DriverStatus;

export const killDriver = async (side: Side, id: string): Promise<Record<string, unknown>> =>
  (await (
    await fetch(`${side.restUrl}/v1/submissions/kill/${id}`, { method: 'POST' })
  ).json()) as Record<string, unknown>;

const TERMINAL = new Set(['FINISHED', 'KILLED', 'FAILED', 'ERROR', 'RELAUNCHING']);

/**
 * A driver's states as REST status shows them, polled every 100 ms, each once in order.
 * `SUBMITTED` before `RUNNING` is left out: Spark's master places a driver before it answers
 * the create, sparkplane's scheduler a moment after, so seeing it is a matter of timing.
 */
export function watchDriver(side: Side, id: string) {
  const states: string[] = [];
  let last: DriverStatus | undefined;
  const ended = until(`driver ${id} on ${side.name} to end`, async () => {
    last = await driverStatus(side, id);
    if (states.at(-1) !== last.driverState) states.push(last.driverState);
    return TERMINAL.has(last.driverState) ? last : undefined;
  });
  return {
    states: () => states.filter((s, i) => !(s === 'SUBMITTED' && i === 0)),
    last: () => last,
    ended,
  };
}

const DRIVER_ID = /driver-\d{14}-\d{4,}/g;

/**
 * A status, kill or killall answer without what differs by nature: driver ids (also in
 * messages), worker ids, worker addresses. What is left (fields, states, messages, the
 * version) must be the same on both.
 */
export const normalStatus = (s: Record<string, unknown>): Record<string, unknown> => ({
  ...Object.fromEntries(
    Object.entries(s).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replace(DRIVER_ID, '<driver>') : v,
    ]),
  ),
  ...(s.workerId === undefined ? {} : { workerId: '<worker>' }),
  ...(s.workerHostPort === undefined ? {} : { workerHostPort: '<host:port>' }),
});
