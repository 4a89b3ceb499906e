// Stock spark-submit from the pinned SPARK_HOME, as a user runs it: its output collected,
// its exit awaited; and the body of Spark's REST create. The end-to-end tests and the
// benchmarks share them.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { sparkHome, sparkPython } from '../../lib/local/spark.js';

export interface SparkSubmitRun {
  readonly child: ChildProcess;
  /** The exit code (-1 for a signal). */
  readonly exit: Promise<number>;
  out(): string;
  err(): string;
}

/** Small JVMs (Spark refuses heaps under 450 MiB) and no UI ports to share on one machine. */
export const SMALL_SPARK = {
  'spark.driver.memory': '512m',
  'spark.executor.memory': '512m',
  'spark.ui.enabled': 'false',
};

/** `--conf k=v` for each property. */
export const confArgs = (props: Readonly<Record<string, string>>): string[] =>
  Object.entries(props).flatMap(([k, v]) => ['--conf', `${k}=${v}`]);

export function sparkSubmit(args: readonly string[]): SparkSubmitRun {
  const home = sparkHome();
  const child = spawn(join(home, 'bin', 'spark-submit'), args, {
    env: { ...process.env, SPARK_HOME: home, PYSPARK_PYTHON: sparkPython },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

/** A client-mode driver on this machine: small JVMs, reachable at 127.0.0.1. */
export const clientDriver = (
  master: string,
  props: Readonly<Record<string, string>>,
  args: readonly string[],
): SparkSubmitRun =>
  sparkSubmit([
    '--master',
    master,
    ...confArgs({ ...SMALL_SPARK, 'spark.driver.host': '127.0.0.1', ...props }),
    ...args,
  ]);

/** A Spark REST create body (CreateSubmissionRequest). */
export function createRequest(
  appResource: string,
  options: { args?: string[]; props?: Record<string, string>; mainClass?: string } = {},
) {
  return {
    action: 'CreateSubmissionRequest',
    appResource,
    mainClass: options.mainClass ?? 'sparkplane.tests.Driver',
    appArgs: options.args ?? [],
    clientSparkVersion: '4.1.1',
    sparkProperties: { 'spark.app.name': 'e2e', 'spark.driver.memory': '256m', ...options.props },
    environmentVariables: {},
  };
}
