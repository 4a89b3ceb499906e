// The driver description built from a create request (spec §a.6), restated from Spark's
// StandaloneSubmitRequestServlet.buildDriverDescription. Errors carry the whole
// ErrorResponse message: the create handler answers them with 400.

import type { DriverDescription, ResourceAmounts } from './model.js';
import { memoryStringToMb, parseBoolean, parseInteger } from './properties.js';
import { DRIVER_TIMEOUT_PROPERTIES, parseDriverTimeout } from './timeouts.js';

/** What a driver is built from: a parsed CreateSubmissionRequest. */
export interface SubmissionRequest {
  readonly appResource: string;
  readonly mainClass?: string | undefined;
  readonly appArgs: readonly string[];
  readonly sparkProperties: Readonly<Record<string, string>>;
  readonly environmentVariables: Readonly<Record<string, string>>;
}

export interface DriverDescriptionOptions {
  /**
   * The value of a `{{NAME}}` placeholder, or undefined to keep the text literally.
   * Spark reads the master's environment; the caller applies sparkplane's allow-list.
   */
  readonly placeholder: (name: string) => string | undefined;
}

export type DriverDescriptionResult =
  | { readonly ok: true; readonly description: DriverDescription }
  | { readonly ok: false; readonly message: string };

export const DEFAULT_DRIVER_MEMORY_MB = 1024;
export const DEFAULT_DRIVER_CORES = 1;

const RESOURCE_PREFIX = 'spark.driver.resource.';
/** Environment variables the driver must not inherit from the submitter's machine. */
const DROPPED_ENV = /^SPARK_LOCAL_(IP|HOSTNAME)$/;
/** Longest client text quoted back in a message. */
const MAX_ECHO = 200;

const malformed = (exception: string, text: string): DriverDescriptionResult => ({
  ok: false,
  message: `Malformed request: ${exception}: ${text}`,
});
const invalidProperty = (key: string, rule: string, value: string): DriverDescriptionResult =>
  malformed(
    'org.apache.spark.deploy.rest.SubmitRestProtocolException',
    `Property '${clientText(key)}' must be ${rule}: actual was '${clientText(value)}'.`,
  );

/**
 * Client text quoted in an error message: lone surrogates replaced and at most 200
 * characters, so a huge or ill-formed value never comes back whole.
 */
export function clientText(text: string): string {
  let t = text.replace(/\p{Surrogate}/gu, '\uFFFD');
  if (t.length > MAX_ECHO) {
    t = t.slice(0, MAX_ECHO);
    // Do not leave half of a surrogate pair behind the cut.
    if (/[\uD800-\uDBFF]$/.test(t)) t = t.slice(0, -1);
  }
  return t;
}

/** Spark's `case s"{{$name}}"`: only a value that is one whole placeholder is replaced. */
function substitute(value: string, options: DriverDescriptionOptions): string {
  if (value.length < 4 || !value.startsWith('{{') || !value.endsWith('}}')) return value;
  return options.placeholder(value.slice(2, -2)) ?? value;
}

const get = (record: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

/** Build the driver a create request describes, or the 400 message explaining why not. */
export function driverDescription(
  request: SubmissionRequest,
  options: DriverDescriptionOptions,
): DriverDescriptionResult {
  const { mainClass } = request;
  if (mainClass === undefined) {
    return malformed(
      'org.apache.spark.deploy.rest.SubmitRestMissingFieldException',
      'Main class is missing.',
    );
  }
  // Each becomes one argument of the driver's command line: one that reads as an option
  // (`--eval=…`, `-cp`) would run something else than a file and a class.
  for (const [field, value] of [
    ['appResource', request.appResource],
    ['mainClass', mainClass],
  ] as const) {
    if (value.startsWith('-')) {
      return malformed(
        'java.lang.IllegalArgumentException',
        `${field} must not start with "-": ${clientText(value)}`,
      );
    }
  }
  // fromEntries, not assignment: a key named __proto__ stays a key.
  const sparkProperties: Record<string, string> = Object.fromEntries(
    Object.entries(request.sparkProperties).map(([k, v]) => [k, substitute(v, options)]),
  );
  // The driver's class path shares an argument with the plugin's jar, which the worker
  // fills in: a placeholder of its own would expand to what the worker knows.
  const classPath = sparkProperties['spark.driver.extraClassPath'] ?? '';
  if (classPath.includes('{{')) {
    return malformed(
      'java.lang.IllegalArgumentException',
      `spark.driver.extraClassPath must not contain "{{": ${clientText(classPath)}`,
    );
  }
  const environmentVariables: Record<string, string> = Object.fromEntries(
    Object.entries(request.environmentVariables)
      .filter(([k]) => !DROPPED_ENV.test(k))
      .map(([k, v]) => [k, substitute(v, options)]),
  );
  // spark.master stays as given: Spark rewrites its REST port to the master's RPC port,
  // but sparkplane drivers reach the control plane over HTTP, never Spark's RPC port.

  // Read from the substituted properties, as Spark does (its SparkConf is built from them).
  let memoryMb = DEFAULT_DRIVER_MEMORY_MB;
  const memory = get(sparkProperties, 'spark.driver.memory');
  if (memory !== undefined) {
    try {
      memoryMb = memoryStringToMb(memory);
    } catch (e) {
      return malformed(
        'java.lang.NumberFormatException',
        `${clientText((e as Error).message)} (spark.driver.memory must be a memory size such as 512m or 2g)`,
      );
    }
    if (memoryMb < 0) return invalidProperty('spark.driver.memory', 'at least 0', memory);
  }

  let cores = DEFAULT_DRIVER_CORES;
  const coresText = get(sparkProperties, 'spark.driver.cores');
  if (coresText !== undefined) {
    try {
      // Integer.parseInt, as Spark's `.toInt`: "1.5" passed validation but fails here.
      cores = parseInteger(coresText);
    } catch {
      return malformed(
        'java.lang.NumberFormatException',
        `For input string: "${clientText(coresText)}" (spark.driver.cores must be a whole number)`,
      );
    }
    if (cores < 1) return invalidProperty('spark.driver.cores', 'at least 1', coresText);
  }

  let supervise = false;
  const superviseText = get(sparkProperties, 'spark.driver.supervise');
  if (superviseText !== undefined) {
    try {
      supervise = parseBoolean(superviseText);
    } catch {
      return malformed(
        'java.lang.IllegalArgumentException',
        `For input string: "${clientText(superviseText)}" (spark.driver.supervise must be true or false)`,
      );
    }
  }

  for (const key of DRIVER_TIMEOUT_PROPERTIES) {
    const value = get(sparkProperties, key);
    if (value === undefined) continue;
    try {
      parseDriverTimeout(key, value);
    } catch {
      return invalidProperty(key, 'a duration of at least 1s, such as 90s, 10m or 2h', value);
    }
  }

  const resources = driverResources(sparkProperties);
  if (!('amounts' in resources)) return resources;

  return {
    ok: true,
    description: {
      appResource: request.appResource,
      mainClass,
      appArgs: [...request.appArgs],
      sparkProperties,
      environmentVariables,
      cores,
      memoryMb,
      supervise,
      resources: resources.amounts,
    },
  };
}

/**
 * ResourceUtils.parseResourceRequirements for `spark.driver`: every name that has a
 * `spark.driver.resource.<name>.*` key must have an `amount`. sparkplane requires a
 * positive whole amount (Spark silently drops amounts ≤ 0 and accepts "2.0").
 */
function driverResources(
  props: Readonly<Record<string, string>>,
): { readonly amounts: ResourceAmounts } | DriverDescriptionResult {
  const names: string[] = [];
  for (const key of Object.keys(props)) {
    if (!key.startsWith(RESOURCE_PREFIX)) continue;
    const rest = key.slice(RESOURCE_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot === 0) {
      return malformed(
        'org.apache.spark.deploy.rest.SubmitRestProtocolException',
        `Property '${clientText(key)}' names no resource.`,
      );
    }
    if (dot < 0) {
      return malformed(
        'org.apache.spark.SparkException',
        `You must specify an amount config for resource: ${clientText(rest)} config: ${clientText(key)}`,
      );
    }
    const name = rest.slice(0, dot);
    if (!names.includes(name)) names.push(name);
  }
  const amounts: [string, number][] = [];
  for (const name of names) {
    const key = `${RESOURCE_PREFIX}${name}.amount`;
    const value = get(props, key);
    if (value === undefined) {
      return malformed(
        'org.apache.spark.SparkException',
        `You must specify an amount for ${clientText(name)} (${clientText(key)})`,
      );
    }
    let amount: number;
    try {
      amount = parseInteger(value);
    } catch {
      return invalidProperty(key, 'a positive whole number', value);
    }
    if (amount < 1) return invalidProperty(key, 'a positive whole number', value);
    amounts.push([name, amount]);
  }
  return { amounts: Object.fromEntries(amounts) };
}
