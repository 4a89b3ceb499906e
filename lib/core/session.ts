// Spark Connect sessions (docs/protocol-additions.md, "Sessions"): a driver that runs Spark's
// Connect server on a worker, with dynamic allocation from no executors, stopped when asked
// or after an idle time. The driver's plugin reports the server's port and whether anything
// runs; the control plane keeps the idle clock and decides when the session stops.

import { type Driver, isDriverActive } from './model.js';
import { PropertyError, timeStringAs } from './properties.js';
import type { SubmissionRequest } from './submission.js';

export const CONNECT_SERVER = 'org.apache.spark.sql.connect.service.SparkConnectServer';
/** spark-submit's name for "no user jar": the main class is on Spark's own class path. */
export const SESSION_RESOURCE = 'spark-internal';
/** Tells the driver's plugin to report the Connect server and stop it when told. */
export const SESSION_FLAG = 'spark.sparkplane.session';
export const IDLE_TIMEOUT_PROPERTY = 'spark.sparkplane.session.idleTimeout';
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 15 * 60_000;
/** Spark Connect's default port; the next ones when a worker runs several sessions. */
export const CONNECT_FIRST_PORT = 15002;
export const CONNECT_PORT_RETRIES = 99;
/** How long a stopping session may take before a second DELETE kills its driver. */
export const SESSION_STOP_GRACE_MS = 30_000;

export type SessionState = 'STARTING' | 'READY' | 'STOPPING' | 'STOPPED' | 'FAILED';

/** What a driver that is a session carries besides its description. */
export interface DriverSession {
  readonly name?: string;
  readonly idleTimeoutMs: number;
  /** SHA-256 of the Connect token (base64url): the token is derived when needed, never stored. */
  readonly tokenHash: string;
  /** The Connect server's port once it listens; its host is the driver's worker's. */
  readonly port?: number;
  /** Since when neither a Connect operation nor a Spark job ran, on the control plane's clock. */
  readonly idleSinceMs?: number;
  readonly stopRequestedMs?: number;
  /** Why the session stops: `deleted` or `idle`. */
  readonly stopReason?: 'deleted' | 'idle';
}

/** Properties a session sets unless its creator chose otherwise. */
const DEFAULTS: Readonly<Record<string, string>> = {
  'spark.dynamicAllocation.enabled': 'true',
  'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
  'spark.dynamicAllocation.minExecutors': '0',
  'spark.dynamicAllocation.initialExecutors': '0',
  // Executors that hold shuffle output go too, after this (Spark keeps them for ever).
  'spark.dynamicAllocation.shuffleTracking.timeout': '120s',
  'spark.connect.grpc.binding.port': String(CONNECT_FIRST_PORT),
  'spark.connect.grpc.port.maxRetries': String(CONNECT_PORT_RETRIES),
};

/**
 * Properties a session's creator may not set: the token and the address are sparkplane's,
 * a session runs on its worker in client mode and is not supervised (a relaunched server
 * would have another address and none of the clients' state).
 */
const RESERVED = [
  'spark.connect.authenticate.token',
  'spark.connect.grpc.binding.address',
  'spark.master',
  'spark.submit.deployMode',
  'spark.driver.supervise',
  SESSION_FLAG,
];

export interface SessionRequest {
  readonly name?: string | undefined;
  readonly sparkProperties?: Readonly<Record<string, string>> | undefined;
  readonly idleTimeoutSec?: number | undefined;
}

export type SessionPlan =
  | {
      readonly ok: true;
      readonly submission: SubmissionRequest;
      readonly idleTimeoutMs: number;
      readonly name?: string;
    }
  | { readonly ok: false; readonly field: string; readonly message: string };

/** A time property: a bare number is seconds, else Spark's time string. */
const timeMs = (value: string): number =>
  /^[0-9]+$/.test(value.trim()) ? Number(value) * 1000 : timeStringAs(value, 'ms');

/** The driver a session request becomes (as a REST create), or which field is wrong. */
export function sessionPlan(request: SessionRequest, defaultIdleTimeoutMs: number): SessionPlan {
  const user = request.sparkProperties ?? {};
  const reserved = RESERVED.find((k) => Object.hasOwn(user, k));
  if (reserved !== undefined) {
    return {
      ok: false,
      field: `sparkProperties.${reserved}`,
      message: `${reserved} is set by sparkplane for every session`,
    };
  }
  let idleTimeoutMs = defaultIdleTimeoutMs;
  const property = user[IDLE_TIMEOUT_PROPERTY];
  if (request.idleTimeoutSec !== undefined) idleTimeoutMs = request.idleTimeoutSec * 1000;
  else if (property !== undefined) {
    try {
      idleTimeoutMs = timeMs(property);
    } catch {
      return {
        ok: false,
        field: `sparkProperties.${IDLE_TIMEOUT_PROPERTY}`,
        message: 'must be a time such as 15min or 600s',
      };
    }
    if (idleTimeoutMs < 1000) {
      return {
        ok: false,
        field: `sparkProperties.${IDLE_TIMEOUT_PROPERTY}`,
        message: 'must be at least 1s',
      };
    }
  }
  const sparkProperties: Record<string, string> = {
    ...DEFAULTS,
    ...(request.name === undefined ? {} : { 'spark.app.name': request.name }),
    ...Object.fromEntries(Object.entries(user)),
    [SESSION_FLAG]: 'true',
  };
  return {
    ok: true,
    submission: {
      appResource: SESSION_RESOURCE,
      mainClass: CONNECT_SERVER,
      appArgs: [],
      sparkProperties,
      environmentVariables: {},
    },
    idleTimeoutMs,
    ...(request.name === undefined ? {} : { name: request.name }),
  };
}

/** A session's state, from its driver's. */
export function sessionState(driver: Driver & { session: DriverSession }): SessionState {
  if (!isDriverActive(driver.state)) {
    return driver.state === 'FINISHED' || driver.state === 'KILLED' ? 'STOPPED' : 'FAILED';
  }
  if (driver.session.stopRequestedMs !== undefined) return 'STOPPING';
  return driver.state === 'RUNNING' && driver.session.port !== undefined ? 'READY' : 'STARTING';
}

/** What the driver's plugin reports with each poll. */
export interface SessionReport {
  readonly port?: number | undefined;
  /** A Connect operation or a Spark job runs. */
  readonly busy: boolean;
}

/**
 * The session after a report, or undefined when nothing changed (the common case: no write).
 * The idle clock starts when the server first listens idle, and again after each busy time;
 * once it ran for the idle timeout, the session is told to stop.
 */
export function reportSession(
  session: DriverSession,
  report: SessionReport,
  nowMs: number,
): DriverSession | undefined {
  const port = session.port ?? report.port;
  const listening = port !== undefined;
  const idleSinceMs = report.busy || !listening ? undefined : (session.idleSinceMs ?? nowMs);
  const expired =
    idleSinceMs !== undefined &&
    session.stopRequestedMs === undefined &&
    nowMs - idleSinceMs >= session.idleTimeoutMs;
  if (port === session.port && idleSinceMs === session.idleSinceMs && !expired) return undefined;
  const { idleSinceMs: _, ...rest } = session;
  return {
    ...rest,
    ...(port === undefined ? {} : { port }),
    ...(idleSinceMs === undefined ? {} : { idleSinceMs }),
    ...(expired ? { stopRequestedMs: nowMs, stopReason: 'idle' as const } : {}),
  };
}

/** A DELETE: the session is asked to stop (its driver then ends FINISHED). */
export function requestStop(session: DriverSession, nowMs: number): DriverSession {
  return session.stopRequestedMs === undefined
    ? { ...session, stopRequestedMs: nowMs, stopReason: 'deleted' }
    : session;
}

/** A session asked to stop that is still running past the grace time: its driver is killed. */
export const stopOverdue = (session: DriverSession, nowMs: number): boolean =>
  session.stopRequestedMs !== undefined && nowMs - session.stopRequestedMs >= SESSION_STOP_GRACE_MS;

/** The Connect server's host: `localhost` for a loopback worker, as Python's client needs. */
export function connectHost(workerHost: string): string {
  return /^127\./.test(workerHost) || workerHost === '::1' ? 'localhost' : workerHost;
}

/** `sc://host:port` of a session's server while it listens. */
export function sessionAddress(driver: Driver & { session: DriverSession }): string | undefined {
  const state = sessionState(driver);
  const hostPort = driver.workerHostPort;
  if ((state !== 'READY' && state !== 'STOPPING') || !hostPort) return undefined;
  if (driver.session.port === undefined) return undefined;
  return `sc://${connectHost(hostPort.slice(0, hostPort.lastIndexOf(':')))}:${driver.session.port}`;
}

/** Checks an idle timeout read from configuration. */
export function idleTimeoutFrom(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SESSION_IDLE_TIMEOUT_MS;
  const ms = timeMs(value);
  if (ms < 1000) throw new PropertyError(`${IDLE_TIMEOUT_PROPERTY} must be at least 1s`);
  return ms;
}
