// A driver's queue timeout and maximum runtime: cluster-wide defaults (the master's
// properties) that a submission may set for itself (its own Spark properties). Spark's master
// has neither: a driver no worker can ever run waits there forever.

import {
  byId,
  type Cluster,
  type Driver,
  isDriverActive,
  isDriverWaiting,
  type Worker,
} from './model.js';
import { PropertyError, timeStringAs } from './properties.js';

export const QUEUE_TIMEOUT_PROPERTY = 'spark.sparkplane.driver.queueTimeout';
export const MAX_RUNTIME_PROPERTY = 'spark.sparkplane.driver.maxRuntime';
export const DRIVER_TIMEOUT_PROPERTIES = [QUEUE_TIMEOUT_PROPERTY, MAX_RUNTIME_PROPERTY] as const;

export interface DriverTimeouts {
  /** How long a driver may wait to be placed; unset: forever, as in Spark. */
  readonly driverQueueTimeoutMs?: number;
  /** How long a placed driver may run; unset: forever. */
  readonly driverMaxRuntimeMs?: number;
}

/** A duration such as `90s`, `10m`, `2h`; a bare number is seconds. At least 1s. */
export function parseDriverTimeout(key: string, value: string): number {
  const v = value.trim();
  let ms: number;
  try {
    ms = /^[0-9]+$/.test(v) ? Number(v) * 1000 : timeStringAs(v, 'ms');
  } catch {
    throw new PropertyError(`${key} must be a duration such as 90s, 10m or 2h, but was "${value}"`);
  }
  if (!Number.isSafeInteger(ms) || ms < 1000) {
    throw new PropertyError(`${key} must be at least 1s, but was "${value}"`);
  }
  return ms;
}

/** The cluster-wide defaults from the master's properties (undefined: none). */
export function driverTimeoutsFrom(
  props: Readonly<Record<string, string | undefined>>,
): DriverTimeouts {
  const queue = props[QUEUE_TIMEOUT_PROPERTY];
  const runtime = props[MAX_RUNTIME_PROPERTY];
  return {
    ...(queue === undefined
      ? {}
      : { driverQueueTimeoutMs: parseDriverTimeout(QUEUE_TIMEOUT_PROPERTY, queue) }),
    ...(runtime === undefined
      ? {}
      : { driverMaxRuntimeMs: parseDriverTimeout(MAX_RUNTIME_PROPERTY, runtime) }),
  };
}

/** A driver's own timeouts: its submission's properties, else the cluster's defaults. */
export function timeoutsOf(driver: Driver, defaults: DriverTimeouts): DriverTimeouts {
  const own = driverTimeoutsFrom(
    Object.fromEntries(
      DRIVER_TIMEOUT_PROPERTIES.map((k) => [k, driver.description.sparkProperties[k]]),
    ),
  );
  return { ...defaults, ...own };
}

/** `90s`, `10m`, `2h` when whole, else seconds. */
export function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export interface DueTimeouts {
  /** Waiting drivers past their queue timeout. */
  readonly queued: string[];
  /** Placed drivers past their maximum runtime and not yet asked to stop. */
  readonly overdue: string[];
  /** Drivers asked to stop that still run: the ask is sent again (a command may be lost). */
  readonly stopping: { readonly driverId: string; readonly workerId: string }[];
}

/** The drivers whose timeouts are due at `now`. */
export function dueDriverTimeouts(
  drivers: Cluster['drivers'],
  defaults: DriverTimeouts,
  now: number,
): DueTimeouts {
  const queued: string[] = [];
  const overdue: string[] = [];
  const stopping: DueTimeouts['stopping'] = [];
  for (const d of Object.values(drivers)) {
    if (!isDriverActive(d.state)) continue;
    if (d.killReason !== undefined && d.workerId !== undefined) {
      stopping.push({ driverId: d.id, workerId: d.workerId });
      continue;
    }
    const t = timeoutsOf(d, defaults);
    if (isDriverWaiting(d)) {
      if (t.driverQueueTimeoutMs !== undefined && now - d.submitTimeMs > t.driverQueueTimeoutMs) {
        queued.push(d.id);
      }
    } else if (
      d.state === 'RUNNING' &&
      d.launchTimeMs !== undefined &&
      t.driverMaxRuntimeMs !== undefined &&
      now - d.launchTimeMs > t.driverMaxRuntimeMs
    ) {
      overdue.push(d.id);
    }
  }
  return { queued, overdue, stopping };
}

/** Whether any active driver has a timeout still to come: the watch keeps ticking for it. */
export const hasDriverTimeouts = (drivers: Cluster['drivers'], defaults: DriverTimeouts): boolean =>
  Object.values(drivers).some((d) => {
    if (!isDriverActive(d.state)) return false;
    const t = timeoutsOf(d, defaults);
    return isDriverWaiting(d)
      ? t.driverQueueTimeoutMs !== undefined
      : t.driverMaxRuntimeMs !== undefined && d.killReason === undefined;
  });

const most = (workers: readonly Worker[], of: (w: Worker) => number): number =>
  Math.max(0, ...workers.map(of));

/**
 * Why a waiting driver is not placed, in the terms of Spark's driver placement (a worker
 * ALIVE with the cores, memory and resources free; fewer than maxDrivers running).
 */
export function whyNotPlaced(cluster: Cluster, driverId: string, maxDrivers: number): string {
  const driver = byId(cluster.drivers, driverId);
  if (!driver) return 'it is unknown';
  const { cores, memoryMb, resources } = driver.description;
  const alive = Object.values(cluster.workers).filter((w) => w.state === 'ALIVE');
  if (alive.length === 0) return 'no worker is ALIVE';
  const lacking: string[] = [];
  if (most(alive, (w) => w.cores) < cores) {
    lacking.push(`${cores} cores (the most any has is ${most(alive, (w) => w.cores)})`);
  }
  if (most(alive, (w) => w.memoryMb) < memoryMb) {
    lacking.push(
      `${memoryMb} MiB of memory (the most any has is ${most(alive, (w) => w.memoryMb)} MiB)`,
    );
  }
  for (const [name, amount] of Object.entries(resources)) {
    const offered = most(alive, (w) => w.resources[name]?.length ?? 0);
    if (offered < amount) lacking.push(`${amount} ${name} (the most any offers is ${offered})`);
  }
  if (lacking.length > 0) return `no ALIVE worker has ${lacking.join(', nor ')}`;
  const big = alive.filter(
    (w) =>
      w.cores >= cores &&
      w.memoryMb >= memoryMb &&
      Object.entries(resources).every(([name, n]) => (w.resources[name]?.length ?? 0) >= n),
  );
  if (big.length === 0) {
    return `no single ALIVE worker has ${cores} cores, ${memoryMb} MiB and its resources together`;
  }
  const running = Object.values(cluster.drivers).filter(
    (d) => isDriverActive(d.state) && !isDriverWaiting(d),
  ).length;
  if (running >= maxDrivers) {
    return `spark.deploy.maxDrivers (${maxDrivers}) drivers are already running`;
  }
  return `the ${big.length} ALIVE worker(s) that can run it had no room free (their cores, memory or resources are in use)`;
}
