// The worker agent's decisions, without I/O: what a command line becomes on this worker,
// Spark's registration and supervise back-offs, what a finished process reports, and which
// work directories may go.

import type {
  DriverState,
  ExecutorCommand,
  ExecutorState,
  ResourceAddresses,
} from '../core/model.js';

export interface WorkerPlace {
  readonly host: string;
  readonly port: number;
  /** The HTTP API the worker registered with. */
  readonly masterUrl: string;
  readonly sparkHome?: string;
  /** Where Java lives (`$JAVA_HOME`); without it, `java` on the PATH. */
  readonly javaHome?: string;
  /** sparkplane's Spark plugin jar, put on Spark drivers' class path when not in SPARK_HOME. */
  readonly sparkJar?: string;
  /** The node binary that runs JavaScript drivers (the agent's own). */
  readonly node: string;
}

/** Spark's `spark://Worker@host:port`, what `{{WORKER_URL}}` becomes. */
export const workerUrl = (w: Pick<WorkerPlace, 'host' | 'port'>): string =>
  `spark://Worker@${w.host}:${w.port}`;

interface ExecutorValues {
  readonly executorId: number;
  readonly appId: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resourceProfileId: number;
  readonly place: WorkerPlace;
}

/** Spec §h: whole arguments equal to a placeholder are replaced, nothing else. */
export function executorArgv(argv: readonly string[], values: ExecutorValues): string[] {
  const table: Record<string, string> = {
    '{{EXECUTOR_ID}}': String(values.executorId),
    '{{HOSTNAME}}': values.place.host,
    '{{CORES}}': String(values.cores),
    '{{APP_ID}}': values.appId,
    '{{WORKER_URL}}': workerUrl(values.place),
    '{{RESOURCE_PROFILE_ID}}': String(values.resourceProfileId),
    '{{NODE}}': values.place.node,
  };
  return argv.map((arg) => table[arg] ?? arg);
}

export type ExecutorLaunch =
  | { readonly ok: true; readonly argv: string[]; readonly env: Record<string, string> }
  | { readonly ok: false; readonly message: string };

/**
 * An executor's command line on this worker. A JVM main class becomes Spark's
 * WorkerCommandBuilder's `java -cp <class path> -Xmx<memory>M <java options> <class>
 * <arguments>`, the class path being the command's entries, Spark's conf directory and
 * `$SPARK_HOME/jars/*` (AbstractCommandBuilder.buildClassPath), library path entries going
 * first in the library path (CommandUtils); placeholders are replaced in the arguments and
 * the java options, as Spark's ExecutorRunner does. As in AbstractCommandBuilder, the
 * command's environment (`spark.executorEnv.*`) comes before the worker's: its `JAVA_HOME`
 * picks the JVM, its `SPARK_CONF_DIR` the conf directory.
 */
export function executorLaunch(
  command: ExecutorCommand,
  values: ExecutorValues,
  workerEnv: Readonly<Record<string, string | undefined>>,
): ExecutorLaunch {
  if ('argv' in command) {
    return { ok: true, argv: executorArgv(command.argv, values), env: { ...command.env } };
  }
  const { sparkHome, host, port } = values.place;
  if (!sparkHome) {
    return {
      ok: false,
      message: `SPARK_HOME is not set on worker ${host}:${port}: it cannot run ${command.java.mainClass}`,
    };
  }
  const j = command.java;
  const env = { ...workerEnv, ...command.env };
  const javaHome = command.env.JAVA_HOME || values.place.javaHome;
  const classPath = [
    ...j.classPathEntries,
    env.SPARK_CONF_DIR ?? `${sparkHome}/conf`,
    `${sparkHome}/jars/*`,
    ...[env.HADOOP_CONF_DIR, env.YARN_CONF_DIR, env.SPARK_DIST_CLASSPATH].filter(
      (e): e is string => !!e,
    ),
  ].filter((e, i, all) => e.length > 0 && all.indexOf(e) === i);
  const extra: Record<string, string> = {};
  if (j.libraryPathEntries.length > 0) {
    extra.LD_LIBRARY_PATH = [
      ...j.libraryPathEntries,
      ...(workerEnv.LD_LIBRARY_PATH ? [workerEnv.LD_LIBRARY_PATH] : []),
    ].join(':');
  }
  return {
    ok: true,
    argv: [
      javaHome ? `${javaHome}/bin/java` : 'java',
      '-cp',
      classPath.join(':'),
      `-Xmx${values.memoryMb}M`,
      ...executorArgv(j.javaOpts, values),
      j.mainClass,
      ...executorArgv(j.arguments, values),
    ],
    env: { ...command.env, ...extra },
  };
}

export type DriverArgv =
  | { readonly ok: true; readonly argv: string[] }
  | { readonly ok: false; readonly message: string };

/** The control plane's HTTP API as a master URL for Spark's drivers (sparkplane's plugin). */
export function sparkplaneMaster(masterUrl: string): string {
  const url = new URL(masterUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return url.protocol === 'https:'
    ? `sparkplane+https://${url.host}${path}`
    : `sparkplane://${url.hostname}:${url.port || '80'}${path}`;
}

/** The plugin jar: where the worker was told, else where the worker image puts it. */
const sparkJar = (place: WorkerPlace): string | undefined =>
  place.sparkJar ?? (place.sparkHome ? `${place.sparkHome}/jars/sparkplane-spark.jar` : undefined);

/**
 * The worker's part of a driver's command (lib/core/driver-command.ts): its Spark
 * installation, node, the master and itself. Without SPARK_HOME, `{{SPARK_HOME}}/bin/x`
 * falls back to `x` on the PATH; when neither exists the driver cannot start, and says why.
 */
export function driverArgv(
  argv: readonly string[],
  place: WorkerPlace,
  onPath: (name: string) => boolean,
  expand: readonly number[],
): DriverArgv {
  const out: string[] = [];
  const ours = new Set(expand);
  for (const [i, arg] of argv.entries()) {
    // Any other argument (the user's arguments, resource, properties) stays as it is.
    if (!ours.has(i)) {
      out.push(arg);
      continue;
    }
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
    const jar = sparkJar(place);
    if (arg.includes('{{SPARKPLANE_JAR}}') && !jar) {
      return {
        ok: false,
        message: `sparkplane's Spark plugin not found: neither SPARKPLANE_SPARK_JAR nor SPARK_HOME is set on worker ${place.host}:${place.port}`,
      };
    }
    out.push(
      arg
        .replaceAll('{{SPARKPLANE_JAR}}', jar ?? '')
        .replaceAll('{{SPARKPLANE_MASTER}}', sparkplaneMaster(place.masterUrl))
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
