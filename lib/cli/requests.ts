// The requests the CLI sends, built without I/O: Spark's CreateSubmissionRequest as
// spark-submit's REST client builds it in cluster mode, the paged listings' queries and the
// log routes.

import { basename, isAbsolute, resolve } from 'node:path';
import { type LogStream, logRoute as route } from '../core/logs.js';
import { APPLICATION_STATES, DRIVER_STATES } from '../core/model.js';
import { usageError } from './errors.js';

/** The Spark release whose spark-submit this client stands in for. */
const CLIENT_SPARK_VERSION = '4.1.1';

/** spark-submit's `--master`: the REST server's host and port as a spark:// URL. */
export function sparkMasterUrl(apiUrl: string): string {
  const u = new URL(apiUrl);
  return `spark://${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** spark-submit's `--conf k=v`, repeatable: the last of a key wins. */
export function parseConf(pairs: readonly string[]): Record<string, string> {
  // fromEntries, not assignment: a key named __proto__ stays a key.
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw usageError(`--conf expects key=value, not ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/**
 * The main class when none is given. A JavaScript driver runs on the worker's node whatever
 * its class (lib/core/driver-command.ts), so its file name stands there, as the listing shows
 * it; a Python one runs through spark-submit, which runs any .py with PythonRunner.
 */
function defaultMainClass(appResource: string): string | undefined {
  if (/\.m?js$/.test(appResource)) return basename(appResource);
  if (appResource.endsWith('.py')) return 'org.apache.spark.deploy.PythonRunner';
  return undefined;
}

export interface SubmitOptions {
  readonly appResource: string;
  readonly appArgs: readonly string[];
  readonly mainClass?: string | undefined;
  readonly name?: string | undefined;
  readonly conf: Readonly<Record<string, string>>;
  readonly supervise: boolean;
  /** The API's URL, whose host and port become `spark.master`. */
  readonly apiUrl: string;
  /** Where a relative resource path is resolved: the driver runs in another directory. */
  readonly cwd: string;
}

export function createSubmissionRequest(o: SubmitOptions) {
  // A URI (local:, s3:, https:) goes as it is; a path is made absolute: the driver runs in
  // a directory of its own on a worker.
  const appResource =
    /^[a-z][a-z\d+.-]+:/i.test(o.appResource) || isAbsolute(o.appResource)
      ? o.appResource
      : resolve(o.cwd, o.appResource);
  const mainClass = o.mainClass ?? defaultMainClass(appResource);
  if (mainClass === undefined) {
    throw usageError(`${o.appResource} needs --class <main class> (only .py, .js and .mjs do not)`);
  }
  return {
    action: 'CreateSubmissionRequest',
    appResource,
    mainClass,
    appArgs: [...o.appArgs],
    clientSparkVersion: CLIENT_SPARK_VERSION,
    // As SparkSubmit: --name, else spark.app.name, else the main class, else the file name;
    // its own options win over --conf.
    sparkProperties: {
      ...o.conf,
      'spark.app.name':
        o.name ?? o.conf['spark.app.name'] ?? o.mainClass ?? basename(o.appResource),
      'spark.master': sparkMasterUrl(o.apiUrl),
      'spark.submit.deployMode': 'cluster',
      'spark.driver.supervise': String(o.supervise),
    },
    environmentVariables: {},
  };
}

export type ListedKind = 'drivers' | 'applications';

/**
 * Which listings `list` reads and with which states: each listing gets the states it knows,
 * and one that knows none of those asked for is not read.
 */
export function listQueries(
  kinds: readonly ListedKind[],
  states: readonly string[],
): { readonly kind: ListedKind; readonly states: readonly string[] }[] {
  const wanted = states.map((s) => s.trim().toUpperCase()).filter(Boolean);
  const known: Record<ListedKind, readonly string[]> = {
    drivers: DRIVER_STATES,
    applications: APPLICATION_STATES,
  };
  const unknown = wanted.find((s) => !kinds.some((k) => known[k].includes(s)));
  if (unknown !== undefined) {
    const all = [...new Set(kinds.flatMap((k) => known[k]))].join(', ');
    throw usageError(`--state: ${unknown} is not one of ${all}`);
  }
  return kinds
    .map((kind) => ({ kind, states: wanted.filter((s) => known[kind].includes(s)) }))
    .filter((q) => wanted.length === 0 || q.states.length > 0);
}

/** `GET /v1/drivers` or `/v1/applications`: one page. */
export function listRoute(
  kind: ListedKind,
  states: readonly string[],
  limit: number,
  cursor?: string,
): string {
  const query = new URLSearchParams({ limit: String(limit) });
  if (states.length > 0) query.set('state', states.join(','));
  if (cursor !== undefined) query.set('cursor', cursor);
  return `/v1/${kind}?${query}`;
}

/** The log route of a driver (`driver-…`) or an executor (`app-…/<executorId>`). */
export function logRoute(owner: string, stream: LogStream): string {
  const slash = owner.indexOf('/');
  if (slash < 0) return route({ kind: 'driver', driverId: owner }, stream);
  const appId = owner.slice(0, slash);
  const executorId = owner.slice(slash + 1);
  if (!appId || !/^\d+$/.test(executorId)) {
    throw usageError(`${owner}: expected a driver id or <appId>/<executorId>`);
  }
  return route({ kind: 'executor', appId, executorId: Number(executorId) }, stream);
}

/** How long the server holds a log's long poll when nothing new comes. */
export const FOLLOW_WAIT_SEC = 20;

/** One page of a log from `from`; following, a long poll until bytes or the end come. */
export const logPage = (route: string, from: number, follow: boolean): string =>
  `${route}?from=${from}${follow ? `&follow=true&waitSec=${FOLLOW_WAIT_SEC}` : ''}`;
