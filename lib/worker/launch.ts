// The worker agent's decisions, without I/O: what a command line becomes on this worker,
// Spark's registration and supervise back-offs, what a finished process reports, and which
// work directories may go.

import type { DriverState, ExecutorState, ResourceAddresses } from '../core/model.js';

export interface WorkerPlace {
  readonly host: string;
  readonly port: number;
  /** The HTTP API the worker registered with. */
  readonly masterUrl: string;
  readonly sparkHome?: string;
  /** The node binary that runs JavaScript drivers (the agent's own). */
  readonly node: string;
}

/** Spark's `spark://Worker@host:port`, what `{{WORKER_URL}}` becomes. */
export const workerUrl = (w: Pick<WorkerPlace, 'host' | 'port'>): string =>
  `spark://Worker@${w.host}:${w.port}`;

/** Spec §h: whole arguments equal to a placeholder are replaced, nothing else. */
export function executorArgv(
  argv: readonly string[],
  values: {
    executorId: number;
    appId: string;
    cores: number;
    resourceProfileId: number;
    place: WorkerPlace;
  },
): string[] {
  const table: Record<string, string> = {
    '{{EXECUTOR_ID}}': String(values.executorId),
    '{{HOSTNAME}}': values.place.host,
    '{{CORES}}': String(values.cores),
    '{{APP_ID}}': values.appId,
    '{{WORKER_URL}}': workerUrl(values.place),
    '{{RESOURCE_PROFILE_ID}}': String(values.resourceProfileId),
  };
  return argv.map((arg) => table[arg] ?? arg);
}

export type DriverArgv =
  | { readonly ok: true; readonly argv: string[] }
  | { readonly ok: false; readonly message: string };

/**
 * The worker's part of a driver's command (lib/core/driver-command.ts): its Spark
 * installation, node, the master and itself. Without SPARK_HOME, `{{SPARK_HOME}}/bin/x`
 * falls back to `x` on the PATH; when neither exists the driver cannot start, and says why.
 */
export function driverArgv(
  argv: readonly string[],
  place: WorkerPlace,
  onPath: (name: string) => boolean,
): DriverArgv {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg.includes('{{SPARK_HOME}}')) {
      if (place.sparkHome) {
        out.push(arg.replaceAll('{{SPARK_HOME}}', place.sparkHome));
        continue;
      }
      const name = arg.slice(arg.lastIndexOf('/') + 1);
      if (!onPath(name)) {
        return {
          ok: false,
          message: `${name} not found: SPARK_HOME is not set and no ${name} is on the PATH of worker ${place.host}:${place.port}`,
        };
      }
      out.push(name);
      continue;
    }
    out.push(
      arg
        .replaceAll('{{NODE}}', place.node)
        .replaceAll('{{MASTER_URL}}', place.masterUrl)
        .replaceAll('{{WORKER_URL}}', workerUrl(place))
        .replaceAll('{{HOSTNAME}}', place.host),
    );
  }
  return { ok: true, argv: out };
}

/** Spark's ResourceAllocation JSON, the `--resourcesFile` an executor reads. */
export function resourcesFile(component: string, resources: ResourceAddresses): string {
  return JSON.stringify(
    Object.entries(resources).map(([resourceName, addresses]) => ({
      id: { componentName: component, resourceName },
      addresses,
    })),
  );
}

/**
 * Spark's registration back-off (spec §d.1): round(10·f) s for the first `initial`
 * attempts, then round(60·f) s, f in [0.5, 1.5) chosen once; `max` attempts in all.
 */
export function registrationDelaysMs(initial: number, max: number, f: number): number[] {
  return Array.from(
    { length: Math.max(0, max - 1) },
    (_, i) => Math.round((i < initial ? 10 : 60) * f) * 1000,
  );
}

/** Spec §f: 1 s, then doubling without cap; a run longer than 5 s starts again at 1 s. */
export function superviseDelayMs(previousMs: number | undefined, ranMs: number): number {
  if (previousMs === undefined || ranMs > 5000) return 1000;
  return previousMs * 2;
}

/** What an executor that ended reports (spec §h). */
export function executorEnd(
  exit: { code: number | null; signal: NodeJS.Signals | null; killed: boolean },
  signals: Readonly<Record<string, number>>,
): { state: ExecutorState; exitStatus?: number; message: string } {
  // Java's Process reports a death by signal N as 128 + N.
  const code = exit.code ?? 128 + (exit.signal ? (signals[exit.signal] ?? 0) : 0);
  if (exit.killed) return { state: 'KILLED', exitStatus: code, message: 'Killed by the worker' };
  return { state: 'EXITED', exitStatus: code, message: `Command exited with code ${code}` };
}

/** Spark's DriverRunner: 0 is FINISHED even after a kill, a kill otherwise KILLED. */
export function driverEnd(exit: { code: number | null; killed: boolean }): DriverState {
  if (exit.code === 0) return 'FINISHED';
  return exit.killed ? 'KILLED' : 'FAILED';
}

/**
 * Spark's work-dir cleanup (spec §h): directories that belong to no running application or
 * driver and hold nothing newer than the TTL.
 */
export function staleWorkDirs(
  dirs: readonly { name: string; newestMs: number }[],
  active: ReadonlySet<string>,
  now: number,
  ttlMs: number,
): string[] {
  return dirs.filter((d) => !active.has(d.name) && d.newestMs < now - ttlMs).map((d) => d.name);
}
