// How a submitted driver is run: its description becomes an argv through the first
// template that matches it. Spark wraps every driver in DriverWrapper on a JVM; sparkplane
// runs `spark-submit --deploy-mode client` from the worker's Spark installation against the
// control plane itself (`--master sparkplane://…`, sparkplane's plugin on the driver's class
// path), so the driver's executors are placed across the workers; or `node` for JavaScript
// drivers such as the example application.
//
// The control plane fills in what the driver's description says; placeholders that only
// the worker knows stay in the argv for the worker agent: `{{SPARK_HOME}}` (a path prefix),
// `{{SPARKPLANE_JAR}}` (the plugin's jar), `{{NODE}}`, `{{MASTER_URL}}` (the HTTP API),
// `{{SPARKPLANE_MASTER}}` (the same as a sparkplane:// master URL), `{{WORKER_URL}}`,
// `{{HOSTNAME}}`.

import type { Command, DriverDescription } from './model.js';
import { PropertyError } from './properties.js';

export interface DriverTemplate {
  /** Regular expressions the description must match (all given ones). */
  readonly mainClass?: string;
  readonly appResource?: string;
  /**
   * The command. Whole arguments `{{APP_ARGS}}` and `{{CONF}}` expand to several (the
   * application's arguments; `--conf key=value` per Spark property); `{{APP_RESOURCE}}`,
   * `{{MAIN_CLASS}}`, `{{CORES}}`, `{{MEMORY_MB}}`, `{{DRIVER_ID}}` are replaced anywhere, and
   * so is `{{DRIVER_CLASS_PATH}}`: the plugin's jar, then the submission's
   * `spark.driver.extraClassPath`, which `{{CONF}}` then leaves out.
   */
  readonly argv: readonly string[];
}

const SPARK_SUBMIT = '{{SPARK_HOME}}/bin/spark-submit';
// The driver joins the cluster it was submitted to, on its worker's address.
const CLIENT = [
  ...['--master', '{{SPARKPLANE_MASTER}}', '--deploy-mode', 'client'],
  ...['--driver-memory', '{{MEMORY_MB}}m', '--driver-class-path', '{{DRIVER_CLASS_PATH}}'],
  '{{CONF}}',
  ...['--conf', 'spark.driver.host={{HOSTNAME}}'],
];

export const DEFAULT_DRIVER_TEMPLATES: readonly DriverTemplate[] = [
  { appResource: '\\.m?js$', argv: ['{{NODE}}', '{{APP_RESOURCE}}', '{{APP_ARGS}}'] },
  // A Connect session (lib/core/session.ts): the server listens on its worker's address only.
  {
    mainClass: '^org\\.apache\\.spark\\.sql\\.connect\\.service\\.SparkConnectServer$',
    argv: [
      SPARK_SUBMIT,
      ...CLIENT,
      ...['--conf', 'spark.connect.grpc.binding.address={{HOSTNAME}}'],
      ...['--class', '{{MAIN_CLASS}}', '{{APP_RESOURCE}}', '{{APP_ARGS}}'],
    ],
  },
  // Spark's REST example: SparkSubmit is the main class, its arguments are spark-submit's.
  {
    mainClass: '^org\\.apache\\.spark\\.deploy\\.SparkSubmit$',
    argv: [SPARK_SUBMIT, ...CLIENT, '{{APP_ARGS}}'],
  },
  {
    argv: [
      SPARK_SUBMIT,
      ...CLIENT,
      '--class',
      '{{MAIN_CLASS}}',
      '{{APP_RESOURCE}}',
      '{{APP_ARGS}}',
    ],
  },
];

/**
 * Properties that describe the submission, not the driver: the driver runs in client mode
 * on its worker, so it must not inherit the client's master or cluster deploy mode.
 */
const SUBMISSION_ONLY = new Set([
  'spark.master',
  'spark.submit.deployMode',
  'spark.driver.supervise',
]);

const EXTRA_CLASS_PATH = 'spark.driver.extraClassPath';

/** Templates from configuration (a JSON array), checked so a bad one fails at start. */
export function parseDriverTemplates(json: string): DriverTemplate[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new PropertyError(`driver templates are not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new PropertyError('driver templates must be a non-empty JSON array');
  }
  return value.map((t, i) => {
    const { argv, mainClass, appResource } = (t ?? {}) as Record<string, unknown>;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
      throw new PropertyError(`driver template ${i}: argv must be a non-empty array of strings`);
    }
    // The worker expands its placeholders in such an argument, and so any in the user's part.
    const mixed = argv.find((a) => {
      const names = placeholders(a);
      return names.some((n) => USER_VALUES.has(n)) && names.some((n) => !CORE_VALUES.has(n));
    });
    if (mixed !== undefined) {
      throw new PropertyError(
        `driver template ${i}: ${mixed} mixes the submission's resource or main class with a worker placeholder`,
      );
    }
    for (const [name, re] of [
      ['mainClass', mainClass],
      ['appResource', appResource],
    ] as const) {
      if (re === undefined) continue;
      if (typeof re !== 'string')
        throw new PropertyError(`driver template ${i}: ${name} must be a string`);
      try {
        new RegExp(re);
      } catch {
        throw new PropertyError(`driver template ${i}: ${name} is not a regular expression`);
      }
    }
    return {
      argv: argv as string[],
      ...(typeof mainClass === 'string' ? { mainClass } : {}),
      ...(typeof appResource === 'string' ? { appResource } : {}),
    };
  });
}

/** The placeholders the control plane fills in; the others are the worker's. */
const CORE_VALUES = new Set([
  'APP_RESOURCE',
  'MAIN_CLASS',
  'CORES',
  'MEMORY_MB',
  'DRIVER_ID',
  'DRIVER_CLASS_PATH',
]);
/** Those of them the submitter chose. */
const USER_VALUES = new Set(['APP_RESOURCE', 'MAIN_CLASS']);

const placeholders = (arg: string): string[] =>
  [...arg.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] as string);

/** A driver's command; the worker expands its placeholders in the `expand` argv only. */
export interface DriverCommand extends Command {
  readonly expand: readonly number[];
}

/** The argv and environment of a driver, from the first template that matches it. */
export function driverCommand(
  driverId: string,
  d: DriverDescription,
  templates: readonly DriverTemplate[] = DEFAULT_DRIVER_TEMPLATES,
): DriverCommand {
  const template = templates.find(
    (t) =>
      (t.mainClass === undefined || new RegExp(t.mainClass).test(d.mainClass)) &&
      (t.appResource === undefined || new RegExp(t.appResource).test(d.appResource)),
  );
  if (!template) throw new PropertyError(`no driver template matches driver ${driverId}`);
  if (d.appResource.startsWith('-') || d.mainClass.startsWith('-')) {
    throw new PropertyError(`driver ${driverId}: its resource or main class reads as an option`);
  }
  const values: Record<string, string> = {
    APP_RESOURCE: d.appResource,
    MAIN_CLASS: d.mainClass,
    CORES: String(d.cores),
    MEMORY_MB: String(d.memoryMb),
    DRIVER_ID: driverId,
  };
  const userClassPath = d.sparkProperties[EXTRA_CLASS_PATH];
  const ownsClassPath = template.argv.some((a) => a.includes('{{DRIVER_CLASS_PATH}}'));
  values.DRIVER_CLASS_PATH = ['{{SPARKPLANE_JAR}}', ...(userClassPath ? [userClassPath] : [])].join(
    ':',
  );
  const conf = Object.entries(d.sparkProperties)
    .filter(([k]) => !SUBMISSION_ONLY.has(k) && !(ownsClassPath && k === EXTRA_CLASS_PATH))
    .flatMap(([k, v]) => ['--conf', `${k}=${v}`]);
  // The user's arguments, properties, resource and class are passed as they are: the worker
  // expands its placeholders only in arguments that need it (the class path's user part
  // cannot hold one: lib/core/submission.ts).
  const argv: string[] = [];
  const expand: number[] = [];
  for (const arg of template.argv) {
    if (arg === '{{APP_ARGS}}') argv.push(...d.appArgs);
    else if (arg === '{{CONF}}') argv.push(...conf);
    else {
      const names = placeholders(arg);
      if (names.some((n) => !CORE_VALUES.has(n) || n === 'DRIVER_CLASS_PATH')) {
        expand.push(argv.length);
      }
      argv.push(arg.replace(/\{\{(\w+)\}\}/g, (all, name: string) => values[name] ?? all));
    }
  }
  return {
    argv,
    expand,
    env: {
      ...d.environmentVariables,
      SPARKPLANE_DRIVER_ID: driverId,
      SPARKPLANE_DRIVER_CORES: String(d.cores),
      SPARKPLANE_DRIVER_MEMORY_MB: String(d.memoryMb),
      SPARKPLANE_SPARK_PROPERTIES: JSON.stringify(d.sparkProperties),
    },
  };
}
