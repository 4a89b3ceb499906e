// The pinned Apache Spark for local mode, the tests and the benchmarks, and sparkplane's own
// Spark-side jars. Spark comes from PyPI's pyspark (bin/spark-submit, jars/, the Python
// examples, and a Python that can import pyspark for PySpark drivers and executors) into a
// virtual environment under .spark/ in the checkout; the plugin is built by Maven in spark/.
//
//   npm run -s spark:home     prints SPARK_HOME, installing Spark first when it is missing
//                             (and Spark's Connect client for Python)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_SPARK_VERSION } from '../protocol/spark-rest.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const venv = join(root, '.spark', `pyspark-${SERVER_SPARK_VERSION}`);
const python = join(venv, 'bin', 'python');

/** The Python of the pinned Spark's environment: it imports pyspark (PYSPARK_PYTHON). */
export const sparkPython = python;

/** sparkplane's cluster manager for `sparkplane://` masters, built by `mvn package` in spark/. */
export const pluginJar = join(root, 'spark', 'plugin', 'target', 'sparkplane-spark.jar');
/** SparkPi and friends, for spark-submit (Spark's examples jar is not on Maven Central). */
export const examplesJar = join(
  root,
  'spark',
  'examples',
  'target',
  'sparkplane-spark-examples.jar',
);

/** pyspark inside the environment: `lib/python3.<minor>/site-packages/pyspark`. */
function installedHome(): string {
  const lib = join(venv, 'lib');
  const version = readdirSync(lib).find((name) => name.startsWith('python'));
  if (!version) throw new Error(`${lib} holds no Python; remove ${venv} to install it again`);
  return join(lib, version, 'site-packages', 'pyspark');
}

/**
 * A virtual environment under .spark/ with one requirement, installed when missing. The
 * install goes to a temporary folder renamed into place, so a run that dies half-way
 * leaves nothing that looks installed.
 */
export function installedVenv(dir: string, requirement: string, env: NodeJS.ProcessEnv): void {
  if (existsSync(join(dir, '.installed'))) return;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(root, '.spark'), { recursive: true });
  const py = env.PYTHON ?? 'python3';
  execFileSync(py, ['-m', 'venv', partial], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(
    join(partial, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', requirement],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  writeFileSync(join(partial, '.installed'), `${requirement}\n`);
  try {
    renameSync(partial, dir);
  } catch (e) {
    // Another process installed it first.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(dir, '.installed'))) throw e;
  }
}

/** SPARK_HOME of the pinned Spark: `$SPARK_HOME` when set, else the checkout's own. */
export function sparkHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPARK_HOME) return env.SPARK_HOME;
  installedVenv(venv, `pyspark==${SERVER_SPARK_VERSION}`, env);
  return installedHome();
}

/**
 * The Python of Spark's thin Connect client at the pinned version (PyPI's pyspark-client:
 * no JVM, no Spark jars), for sessions' clients: the tests, the demo and the benchmark.
 */
export function connectClientPython(env: NodeJS.ProcessEnv = process.env): string {
  const dir = join(root, '.spark', `pyspark-client-${SERVER_SPARK_VERSION}`);
  installedVenv(dir, `pyspark-client==${SERVER_SPARK_VERSION}`, env);
  return join(dir, 'bin', 'python');
}

/** Builds the plugin and the examples when a jar is missing (Maven, JDK 17). */
export function ensureSparkJars(): void {
  if (existsSync(pluginJar) && existsSync(examplesJar)) return;
  execFileSync(
    'mvn',
    ['-B', '-q', '-f', join(root, 'spark', 'pom.xml'), '-DskipTests', 'package'],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

/**
 * What a local worker needs to run Spark drivers and executors: the pinned Spark, a Python
 * that imports its pyspark, and the plugin jar.
 */
export function sparkEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const home = sparkHome(env);
  ensureSparkJars();
  return {
    SPARK_HOME: home,
    SPARKPLANE_SPARK_JAR: pluginJar,
    ...(env.SPARK_HOME ? {} : { PYSPARK_PYTHON: python }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  connectClientPython();
  process.stdout.write(`${sparkHome()}\n`);
}
