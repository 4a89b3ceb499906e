// The master's `/json` document (spec §i.1): Spark's MasterStateResponse as JsonProtocol
// writes it, restated over our records. Key order is part of the contract (clients and
// the acceptance vectors compare it), so every object is built literally in Spark's order.

import {
  type Application,
  byId,
  type Cluster,
  type Driver,
  freeAddresses,
  isApplicationActive,
  isDriverActive,
  type ResourceAmounts,
  type Worker,
} from './model.js';
import { sessionAddress, sessionState } from './session.js';
import { applicationUsage, driverUsage, type UsagePrices } from './usage.js';

export interface MasterStateOptions {
  /** `spark://host:port`. */
  readonly url: string;
  /** Epoch ms, for the duration of applications still active. */
  readonly now: number;
  /** The price inputs of the usage's estimated cost, when the master has them. */
  readonly prices?: UsagePrices;
}

type Json = Record<string, unknown>;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Java's `Date.toString` (`EEE MMM dd HH:mm:ss zzz yyyy`) in UTC, sparkplane's zone. */
export function javaDateString(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ` +
    `${d.getUTCFullYear()}`
  );
}

// Resource names are sorted: Spark's order is its Map's, which our stored records
// (JSON, DynamoDB maps) cannot promise to keep anyway.
const byName = (record: Readonly<Record<string, unknown>>): string[] => Object.keys(record).sort();

/** Spark's `writeResourcesInfo`: name -> `{name, addresses}`. */
function resourcesInfo(addresses: (name: string) => readonly string[], names: string[]): Json {
  const out: Json = {};
  for (const name of names) out[name] = { name, addresses: [...addresses(name)] };
  return out;
}

// Spark lists every resource the worker offers in all three objects, even with no address
// used; totals keep the worker's own order while used and free come out sorted.
const workerResources = (w: Worker): Json =>
  resourcesInfo((n) => w.resources[n] ?? [], byName(w.resources));
const workerResourcesUsed = (w: Worker): Json =>
  resourcesInfo((n) => [...(w.resourcesUsed[n] ?? [])].sort(), byName(w.resources));
const workerResourcesFree = (w: Worker): Json =>
  resourcesInfo((n) => freeAddresses(w, n), byName(w.resources));

function workerJson(w: Worker): Json {
  return {
    id: w.id,
    host: w.host,
    port: w.port,
    webuiaddress: w.webUiUrl,
    cores: w.cores,
    coresused: w.coresUsed,
    coresfree: w.cores - w.coresUsed,
    memory: w.memoryMb,
    memoryused: w.memoryUsedMb,
    memoryfree: w.memoryMb - w.memoryUsedMb,
    resources: workerResources(w),
    resourcesused: workerResourcesUsed(w),
    resourcesfree: workerResourcesFree(w),
    state: w.state,
    lastheartbeat: w.lastHeartbeatMs,
  };
}

const requirements = (amounts: ResourceAmounts): Json[] =>
  byName(amounts).map((name) => ({ name, amount: amounts[name] }));

function applicationJson(app: Application, options: MasterStateOptions, cluster: Cluster): Json {
  const { now } = options;
  const profile = app.description.defaultProfile;
  const driver = app.description.driverAddress;
  const session = driver !== undefined && byId(cluster.drivers, driver)?.session !== undefined;
  return {
    id: app.id,
    starttime: app.submitTimeMs,
    name: app.description.name,
    cores: app.coresGranted,
    user: app.description.user,
    memoryperexecutor: profile.memoryMb,
    // The `…perslave` twins are Spark's deprecated names, still written for old clients.
    memoryperslave: profile.memoryMb,
    resourcesperexecutor: requirements(profile.resources),
    resourcesperslave: requirements(profile.resources),
    submitdate: javaDateString(app.submitTimeMs),
    state: app.state,
    duration: (app.endTimeMs ?? now) - app.submitTimeMs,
    ...(session ? { session: driver } : {}),
    // sparkplane's, after Spark's fields, like the session's mark.
    usage: applicationUsage(app, Object.values(cluster.executors), now, options.prices),
  };
}

/** A session's mark (sparkplane's, after Spark's fields): its name, state and address. */
function sessionJson(d: Driver): Json | undefined {
  if (!d.session) return undefined;
  const session = { ...d, session: d.session };
  const url = sessionAddress(session);
  return {
    ...(d.session.name === undefined ? {} : { name: d.session.name }),
    state: sessionState(session),
    ...(url === undefined ? {} : { url }),
  };
}

function driverJson(d: Driver, options: MasterStateOptions): Json {
  const session = sessionJson(d);
  return {
    id: d.id,
    // A string, unlike the application's: Spark's quirk (spec Appendix B.5).
    starttime: String(d.submitTimeMs),
    state: d.state,
    cores: d.description.cores,
    memory: d.description.memoryMb,
    resources: resourcesInfo((n) => d.resources[n] ?? [], byName(d.resources)),
    submitdate: javaDateString(d.submitTimeMs),
    worker: d.workerId ?? 'None',
    // Spark shows the launcher command's third argument, which is the user class for
    // both launch paths; our description keeps that class directly.
    mainclass: d.description.mainClass,
    ...(session === undefined ? {} : { session }),
    ...(d.launchTimeMs === undefined ? {} : { launchtime: d.launchTimeMs }),
    ...(d.exception === undefined ? {} : { message: d.exception }),
    usage: driverUsage(d, options.now, options.prices),
  };
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const sortedWorkers = (cluster: Cluster): Worker[] =>
  Object.values(cluster.workers).sort((a, b) => compareIds(a.id, b.id));

const aliveWorkers = (cluster: Cluster): Worker[] =>
  sortedWorkers(cluster).filter((w) => w.state === 'ALIVE');

const sum = (workers: readonly Worker[], of: (w: Worker) => number): number =>
  workers.reduce((total, w) => total + of(w), 0);

/** Spark's MasterStateResponse JSON (`GET /json`), keys in Spark's order. */
export function masterState(cluster: Cluster, options: MasterStateOptions): Json {
  const workers = sortedWorkers(cluster);
  const alive = workers.filter((w) => w.state === 'ALIVE');
  const apps = Object.values(cluster.applications).sort((a, b) => a.seq - b.seq);
  const drivers = Object.values(cluster.drivers).sort((a, b) => a.seq - b.seq);
  return {
    url: options.url,
    workers: workers.map(workerJson),
    aliveworkers: alive.length,
    cores: sum(alive, (w) => w.cores),
    coresused: sum(alive, (w) => w.coresUsed),
    memory: sum(alive, (w) => w.memoryMb),
    memoryused: sum(alive, (w) => w.memoryUsedMb),
    resources: alive.map(workerResources),
    resourcesused: alive.map(workerResourcesUsed),
    activeapps: apps
      .filter((a) => isApplicationActive(a.state))
      .map((a) => applicationJson(a, options, cluster)),
    completedapps: apps
      .filter((a) => !isApplicationActive(a.state))
      .map((a) => applicationJson(a, options, cluster)),
    activedrivers: drivers
      .filter((d) => isDriverActive(d.state))
      .map((d) => driverJson(d, options)),
    completeddrivers: drivers
      .filter((d) => !isDriverActive(d.state))
      .map((d) => driverJson(d, options)),
    // sparkplane has no standby: its master is always the leader.
    status: 'ALIVE',
  };
}

/**
 * `GET /json/<field>`: `{field: value}` for a key of the full document, `{field: ""}` for
 * any other name, and the utilization object itself for `clusterutilization`.
 */
export function masterStateField(
  cluster: Cluster,
  options: MasterStateOptions,
  field: string,
): Json {
  if (field === 'clusterutilization') return clusterUtilization(cluster);
  const state = masterState(cluster, options);
  // Own keys only, so `constructor` or `toString` count as unknown fields.
  return { [field]: Object.hasOwn(state, field) ? state[field] : '' };
}

// Java int division truncates. Spark multiplies in 32-bit ints, so its memory percentage
// overflows once more than ~20 TiB is used; that is a bug we do not reproduce.
const percent = (used: number, total: number): number =>
  total === 0 ? 100 : Math.trunc((100 * used) / total);

/** `GET /json/clusterutilization` over alive workers. */
export function clusterUtilization(cluster: Cluster): Record<string, number> {
  const alive = aliveWorkers(cluster);
  const cores = sum(alive, (w) => w.cores);
  const coresUsed = sum(alive, (w) => w.coresUsed);
  const memory = sum(alive, (w) => w.memoryMb);
  const memoryUsed = sum(alive, (w) => w.memoryUsedMb);
  return {
    // Every SUBMITTED driver is waiting: placement makes a driver RUNNING at once.
    waitingDrivers: Object.values(cluster.drivers).filter((d) => d.state === 'SUBMITTED').length,
    cores,
    coresused: coresUsed,
    coresutilization: percent(coresUsed, cores),
    memory,
    memoryused: memoryUsed,
    memoryutilization: percent(memoryUsed, memory),
  };
}
