// What the CLI prints for people: aligned columns and short lines, from the API's answers.
// Pure: times in this machine's zone, as Spark's UI shows them.

import { type DriverState, isDriverActive } from '../core/model.js';

/** Spark's SubmissionStatusResponse. */
export interface SubmissionStatus {
  readonly submissionId: string;
  readonly success: boolean;
  readonly driverState?: DriverState;
  readonly workerId?: string;
  readonly workerHostPort?: string;
  readonly message?: string;
}

export interface DriverSummary {
  readonly driverId: string;
  readonly state: string;
  readonly mainClass: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly submitTimeMs: number;
  readonly workerId?: string;
  readonly appId?: string;
  readonly session?: boolean;
}

export interface ApplicationSummary {
  readonly appId: string;
  readonly name: string;
  readonly user: string;
  readonly state: string;
  readonly coresGranted: number;
  readonly maxCores?: number;
  readonly executorMemoryMb: number;
  readonly submitTimeMs: number;
  readonly driverId?: string;
}

/** A worker of `/json` (Spark's MasterStateResponse). */
export interface WorkerJson {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly state: string;
  readonly cores: number;
  readonly coresused: number;
  readonly memory: number;
  readonly memoryused: number;
}

export interface SessionView {
  readonly sessionId: string;
  readonly name?: string;
  readonly state: string;
  readonly url?: string;
  readonly coresInUse: number;
  readonly executors: readonly unknown[];
  readonly idleTimeoutSec: number;
  readonly submitTimeMs: number;
}

/** Columns padded to their widest cell; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm:ss` in this machine's zone. */
export function time(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Spark's `Utils.megabytesToString`: the largest unit of which there are at least two. */
export function memory(mb: number): string {
  if (mb >= 2 * 1024 * 1024) return `${(mb / (1024 * 1024)).toFixed(1)} TiB`;
  if (mb >= 2 * 1024) return `${(mb / 1024).toFixed(1)} GiB`;
  return `${mb.toFixed(1)} MiB`;
}

const list = <T>(what: string, items: readonly T[], header: string[], row: (t: T) => string[]) =>
  items.length === 0 ? `no ${what}` : table([header, ...items.map(row)]);

export const driversTable = (drivers: readonly DriverSummary[]) =>
  list(
    'drivers',
    drivers,
    ['DRIVER', 'STATE', 'CORES', 'MEMORY', 'SUBMITTED', 'WORKER', 'APP', 'MAIN CLASS'],
    (d) => [
      d.driverId,
      d.state,
      String(d.cores),
      memory(d.memoryMb),
      time(d.submitTimeMs),
      d.workerId ?? '-',
      d.appId ?? '-',
      d.session ? `${d.mainClass} (session)` : d.mainClass,
    ],
  );

export const applicationsTable = (apps: readonly ApplicationSummary[]) =>
  list(
    'applications',
    apps,
    ['APP', 'STATE', 'CORES', 'MEMORY/EXECUTOR', 'SUBMITTED', 'USER', 'DRIVER', 'NAME'],
    (a) => [
      a.appId,
      a.state,
      a.maxCores === undefined ? String(a.coresGranted) : `${a.coresGranted}/${a.maxCores}`,
      memory(a.executorMemoryMb),
      time(a.submitTimeMs),
      a.user,
      a.driverId ?? '-',
      a.name,
    ],
  );

export const workersTable = (workers: readonly WorkerJson[]) =>
  list('workers', workers, ['WORKER', 'ADDRESS', 'STATE', 'CORES', 'MEMORY'], (w) => [
    w.id,
    `${w.host}:${w.port}`,
    w.state,
    `${w.cores} (${w.coresused} used)`,
    `${memory(w.memory)} (${memory(w.memoryused)} used)`,
  ]);

export const sessionsTable = (sessions: readonly SessionView[]) =>
  list(
    'sessions',
    sessions,
    ['SESSION', 'STATE', 'CORES', 'EXECUTORS', 'IDLE TIMEOUT', 'SUBMITTED', 'URL', 'NAME'],
    (s) => [
      s.sessionId,
      s.state,
      String(s.coresInUse),
      String(s.executors.length),
      `${s.idleTimeoutSec}s`,
      time(s.submitTimeMs),
      s.url ?? '-',
      s.name ?? '-',
    ],
  );

/** Where a driver is: `RUNNING on worker-… (host:port)`. */
const placement = (s: SubmissionStatus) =>
  `${s.driverState}${s.workerId ? ` on ${s.workerId}${s.workerHostPort ? ` (${s.workerHostPort})` : ''}` : ''}`;

/** `status`: the driver's state and worker, then the cluster's message if any. */
export const statusText = (s: SubmissionStatus): string =>
  `${s.submissionId} ${placement(s)}${s.message ? `\n${s.message}` : ''}`;

/** `--wait`'s progress: a line when the state or the worker changed, else nothing. */
export function progressLine(
  before: SubmissionStatus | undefined,
  now: SubmissionStatus,
): string | undefined {
  if (before && before.driverState === now.driverState && before.workerId === now.workerId) {
    return undefined;
  }
  const from = before ? `${before.driverState} → ` : '';
  return `${now.submissionId} ${from}${placement(now)}`;
}

/** How `--wait` ends: undefined while the driver is active. */
export function outcome(
  s: SubmissionStatus,
): { exitCode: 0 } | { exitCode: 1; message: string } | undefined {
  if (s.driverState === undefined || isDriverActive(s.driverState)) return undefined;
  if (s.driverState === 'FINISHED') return { exitCode: 0 };
  const why =
    s.driverState === 'RELAUNCHING'
      ? 'its worker was lost; supervised, it runs again under a new id (see sparkplane list)'
      : s.message?.replace(/\s*\n\s*/g, ' ');
  return { exitCode: 1, message: `${s.submissionId} ${s.driverState}${why ? `: ${why}` : ''}` };
}
