// The master's and workers' server-side configuration (spec Appendix A), read from Spark
// property keys with Spark's defaults. Recovery settings (`spark.deploy.recoveryMode`,
// `recoveryTimeout`, ZooKeeper) have no counterpart: every fact is durable in the store.

import { javaFormat } from './ids.js';
import { INT_MAX } from './model.js';
import {
  byteStringAs,
  PropertyError,
  parseBoolean,
  parseInteger,
  timeStringAs,
} from './properties.js';
import {
  DEFAULT_SESSION_IDLE_TIMEOUT_MS,
  IDLE_TIMEOUT_PROPERTY,
  idleTimeoutFrom,
} from './session.js';
import { type DriverTimeouts, driverTimeoutsFrom } from './timeouts.js';
import type { UsagePrices } from './usage.js';

export const WORKER_SELECTION_POLICIES = [
  'CORES_FREE_ASC',
  'CORES_FREE_DESC',
  'MEMORY_FREE_ASC',
  'MEMORY_FREE_DESC',
  'WORKER_ID',
] as const;
export type WorkerSelectionPolicy = (typeof WORKER_SELECTION_POLICIES)[number];

export interface MasterConfig extends DriverTimeouts {
  readonly restEnabled: boolean;
  readonly restPort: number;
  readonly uiPort: number;
  readonly spreadOutApps: boolean;
  readonly spreadOutDrivers: boolean;
  readonly workerSelectionPolicy: WorkerSelectionPolicy;
  readonly defaultCores: number;
  readonly maxDrivers: number;
  /** -1 disables failing applications on executor retries. */
  readonly maxExecutorRetries: number;
  readonly retainedApplications: number;
  readonly retainedDrivers: number;
  readonly appIdPattern: string;
  readonly driverIdPattern: string;
  readonly appNumberModulo?: number;
  /** `spark.worker.timeout`, seconds (T). */
  readonly workerTimeoutSec: number;
  /** `spark.dead.worker.persistence` (P): a dead worker stays listed ~(P+1)·T. */
  readonly deadWorkerPersistence: number;
  /**
   * `spark.sparkplane.app.timeout`, ms: an application whose driver renewed its lease no
   * later than this ends as Spark ends one whose driver disconnected.
   */
  readonly appTimeoutMs: number;
  /** `spark.sparkplane.session.idleTimeout`, ms: the sessions' default idle timeout. */
  readonly sessionIdleTimeoutMs: number;
  /**
   * `spark.sparkplane.usage.vcpuHourPrice` and `…gbHourPrice` (USD): runs show an estimated
   * cost. The stack sets them from its Fargate price inputs.
   */
  readonly usagePrices?: UsagePrices;
  /** `spark.decommission.enabled`: the UI's `POST /workers/kill/` is mounted. */
  readonly decommissionEnabled: boolean;
  /** `spark.master.ui.decommission.allow.mode`: who may use it. */
  readonly decommissionAllowMode: 'LOCAL' | 'ALLOW' | 'DENY';
}

export interface WorkerConfig {
  readonly workerTimeoutSec: number;
  readonly cleanupEnabled: boolean;
  readonly cleanupIntervalSec: number;
  readonly cleanupAppDataTtlSec: number;
  readonly initialRegistrationRetries: number;
  readonly maxRegistrationRetries: number;
  readonly driverTerminateTimeoutMs: number;
  readonly idPattern: string;
  /** How often a worker ships its drivers' and executors' new output to the log store. */
  readonly logShipIntervalMs: number;
  /** What the store keeps of one stream at most: the newest bytes (lib/core/logs.ts). */
  readonly logMaxBytes: number;
}

type Properties = Readonly<Record<string, string | undefined>>;

function read<T>(props: Properties, key: string, fallback: T, parse: (v: string) => T): T {
  const raw = props[key];
  if (raw === undefined) return fallback;
  try {
    return parse(raw.trim());
  } catch (e) {
    throw new PropertyError(`${key} should be valid, but was "${raw}": ${(e as Error).message}`);
  }
}

function check<T>(key: string, value: T, ok: (v: T) => boolean, rule: string): T {
  if (!ok(value)) throw new PropertyError(`${key} ${rule}, but was ${String(value)}`);
  return value;
}

const parseLong = (v: string): number => {
  if (!/^[+-]?[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new PropertyError(`For input string: "${v}"`);
  }
  return Number(v);
};

/**
 * A pattern is valid when Java's formatter accepts it for the id's arguments and, as Spark
 * checks it (Deploy.scala), the id it makes for Spark's sample has no whitespace.
 */
const idPattern =
  (...sample: (string | number)[]) =>
  (pattern: string): string => {
    if (/\s/.test(javaFormat(pattern, '20231101000000', ...sample))) {
      throw new PropertyError('Whitespace is not allowed.');
    }
    return pattern;
  };

function parsePolicy(v: string): WorkerSelectionPolicy {
  const upper = v.toUpperCase();
  const policy = WORKER_SELECTION_POLICIES.find((p) => p === upper);
  if (!policy) throw new PropertyError(`one of ${WORKER_SELECTION_POLICIES.join(', ')} expected`);
  return policy;
}

/**
 * Spark properties from a JVM options string such as `SPARK_MASTER_OPTS`
 * (`-Dspark.deploy.defaultCores=4 -Dspark.worker.timeout=30`), split like a shell line:
 * whitespace separates, quotes group, a backslash escapes. Other options are ignored.
 */
export function propertiesFromJavaOptions(options: string): Record<string, string> {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < options.length; i++) {
    const c = options[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < options.length) {
        word = (word ?? '') + options[++i];
      } else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < options.length) {
      word = (word ?? '') + options[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new PropertyError(`Unterminated quote in: ${options}`);
  if (word !== undefined) words.push(word);
  const props: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (w.startsWith('-D') && eq > 2) props[w.slice(2, eq)] = w.slice(eq + 1);
  }
  return props;
}

const VCPU_PRICE = 'spark.sparkplane.usage.vcpuHourPrice';
const GB_PRICE = 'spark.sparkplane.usage.gbHourPrice';

/** Both prices or neither: half a price would understate every cost. */
function usagePricesFrom(props: Properties): { usagePrices?: UsagePrices } {
  if (props[VCPU_PRICE] === undefined && props[GB_PRICE] === undefined) return {};
  const price = (key: string) =>
    check(
      key,
      read(props, key, Number.NaN, (v) => {
        if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) throw new PropertyError('a decimal number expected');
        return Number(v);
      }),
      (v) => Number.isFinite(v),
      'must be set with the other price',
    );
  return { usagePrices: { vcpuHourUsd: price(VCPU_PRICE), gbHourUsd: price(GB_PRICE) } };
}

/** Reads the master's settings; throws PropertyError naming the offending key. */
export function masterConfig(props: Properties = {}): MasterConfig {
  const spreadOutLegacy = read(props, 'spark.deploy.spreadOut', true, parseBoolean);
  const appNumberModulo =
    props['spark.deploy.appNumberModulo'] === undefined
      ? undefined
      : check(
          'spark.deploy.appNumberModulo',
          read(props, 'spark.deploy.appNumberModulo', 0, parseInteger),
          (v) => v >= 1000,
          'should be at least 1000',
        );
  return {
    restEnabled: read(props, 'spark.master.rest.enabled', true, parseBoolean),
    restPort: read(props, 'spark.master.rest.port', 6066, parseInteger),
    uiPort: read(props, 'spark.master.ui.port', 8080, parseInteger),
    spreadOutApps: read(props, 'spark.deploy.spreadOutApps', spreadOutLegacy, parseBoolean),
    spreadOutDrivers: read(props, 'spark.deploy.spreadOutDrivers', true, parseBoolean),
    workerSelectionPolicy: read(
      props,
      'spark.deploy.workerSelectionPolicy',
      'CORES_FREE_DESC',
      parsePolicy,
    ),
    defaultCores: check(
      'spark.deploy.defaultCores',
      read(props, 'spark.deploy.defaultCores', INT_MAX, parseInteger),
      (v) => v > 0,
      'must be positive',
    ),
    maxDrivers: check(
      'spark.deploy.maxDrivers',
      read(props, 'spark.deploy.maxDrivers', INT_MAX, parseInteger),
      (v) => v > 0,
      'must be positive',
    ),
    maxExecutorRetries: read(props, 'spark.deploy.maxExecutorRetries', 10, parseInteger),
    retainedApplications: read(props, 'spark.deploy.retainedApplications', 200, parseInteger),
    retainedDrivers: read(props, 'spark.deploy.retainedDrivers', 200, parseInteger),
    appIdPattern: read(props, 'spark.deploy.appIdPattern', 'app-%s-%04d', idPattern(0)),
    driverIdPattern: read(props, 'spark.deploy.driverIdPattern', 'driver-%s-%04d', idPattern(0)),
    ...(appNumberModulo === undefined ? {} : { appNumberModulo }),
    workerTimeoutSec: check(
      'spark.worker.timeout',
      read(props, 'spark.worker.timeout', 60, parseLong),
      (v) => v > 0,
      'must be positive',
    ),
    deadWorkerPersistence: read(props, 'spark.dead.worker.persistence', 15, parseInteger),
    appTimeoutMs: check(
      'spark.sparkplane.app.timeout',
      read(props, 'spark.sparkplane.app.timeout', 30_000, (v) =>
        /^[0-9]+$/.test(v) ? Number(v) * 1000 : timeStringAs(v, 'ms'),
      ),
      (v) => v >= 1000,
      'must be at least 1s',
    ),
    sessionIdleTimeoutMs: read(
      props,
      IDLE_TIMEOUT_PROPERTY,
      DEFAULT_SESSION_IDLE_TIMEOUT_MS,
      idleTimeoutFrom,
    ),
    ...driverTimeoutsFrom(props),
    ...usagePricesFrom(props),
    decommissionEnabled: read(props, 'spark.decommission.enabled', false, parseBoolean),
    decommissionAllowMode: read(props, 'spark.master.ui.decommission.allow.mode', 'LOCAL', (v) => {
      const mode = v.toUpperCase();
      if (mode !== 'LOCAL' && mode !== 'ALLOW' && mode !== 'DENY') {
        throw new PropertyError('one of LOCAL, ALLOW, DENY expected');
      }
      return mode;
    }),
  };
}

/** Reads a worker's settings (spec §d.1, §h). */
export function workerConfig(props: Properties = {}): WorkerConfig {
  return {
    workerTimeoutSec: read(props, 'spark.worker.timeout', 60, parseLong),
    cleanupEnabled: read(props, 'spark.worker.cleanup.enabled', true, parseBoolean),
    cleanupIntervalSec: read(props, 'spark.worker.cleanup.interval', 1800, parseLong),
    cleanupAppDataTtlSec: read(props, 'spark.worker.cleanup.appDataTtl', 604_800, parseLong),
    initialRegistrationRetries: read(
      props,
      'spark.worker.initialRegistrationRetries',
      6,
      parseInteger,
    ),
    maxRegistrationRetries: read(props, 'spark.worker.maxRegistrationRetries', 16, parseInteger),
    driverTerminateTimeoutMs: read(props, 'spark.worker.driverTerminateTimeout', 10_000, (v) =>
      timeStringAs(v, 'ms'),
    ),
    idPattern: read(props, 'spark.worker.idPattern', 'worker-%s-%s-%d', idPattern('host', 0)),
    logShipIntervalMs: check(
      'spark.sparkplane.worker.logs.interval',
      read(props, 'spark.sparkplane.worker.logs.interval', 2000, (v) =>
        // Seconds without a unit, as spark.worker.timeout; `500ms` too.
        /^\d+$/.test(v) ? Number(v) * 1000 : timeStringAs(v, 'ms'),
      ),
      (v) => v >= 100 && v <= 60_000,
      'should be 100ms to 60s',
    ),
    logMaxBytes: check(
      'spark.sparkplane.worker.logs.maxBytes',
      read(props, 'spark.sparkplane.worker.logs.maxBytes', 64 * 1024 * 1024, (v) =>
        byteStringAs(v, 'b'),
      ),
      (v) => v >= 1024 * 1024,
      'should be at least 1m',
    ),
  };
}
