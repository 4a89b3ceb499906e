// The master's data model (spec §b): plain, immutable, JSON-serialisable records.
// Transitions never mutate a record; they return new ones and share the rest.

import type { DriverSession } from './session.js';

/** Scala's Int.MaxValue: Spark's "unlimited" for cores and executor limits. */
export const INT_MAX = 2_147_483_647;

export const WORKER_STATES = ['ALIVE', 'DEAD', 'DECOMMISSIONED', 'UNKNOWN'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const DRIVER_STATES = [
  'SUBMITTED',
  'RUNNING',
  'FINISHED',
  'RELAUNCHING',
  'UNKNOWN',
  'KILLED',
  'FAILED',
  'ERROR',
] as const;
export type DriverState = (typeof DRIVER_STATES)[number];

export const APPLICATION_STATES = [
  'WAITING',
  'RUNNING',
  'FINISHED',
  'FAILED',
  'KILLED',
  'UNKNOWN',
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export const EXECUTOR_STATES = [
  'LAUNCHING',
  'RUNNING',
  'KILLED',
  'FAILED',
  'LOST',
  'EXITED',
  'DECOMMISSIONED',
] as const;
export type ExecutorState = (typeof EXECUTOR_STATES)[number];

/** The master's own state. sparkplane has no standby: its master is always ALIVE. */
export const RECOVERY_STATES = ['STANDBY', 'ALIVE', 'RECOVERING', 'COMPLETING_RECOVERY'] as const;
export type RecoveryState = (typeof RECOVERY_STATES)[number];

/** Resource name -> addresses, e.g. `{ gpu: ['0', '1'] }`. */
export type ResourceAddresses = Readonly<Record<string, readonly string[]>>;
/** Resource name -> amount of whole addresses, e.g. `{ gpu: 1 }`. */
export type ResourceAmounts = Readonly<Record<string, number>>;

export interface Command {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Spark's `deploy.Command`: a main class the worker starts on its own Java with its Spark's
 * jars (Spark's WorkerCommandBuilder), as Spark's drivers register their executors.
 */
export interface JavaCommand {
  readonly java: {
    readonly mainClass: string;
    readonly arguments: readonly string[];
    readonly javaOpts: readonly string[];
    readonly classPathEntries: readonly string[];
    readonly libraryPathEntries: readonly string[];
  };
  readonly env: Readonly<Record<string, string>>;
}

/** What runs for each executor: any program, or a JVM main class (Spark's executors). */
export type ExecutorCommand = Command | JavaCommand;

export interface Worker {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly webUiUrl: string;
  readonly cores: number;
  readonly memoryMb: number;
  /** Every address the worker offers, per resource name. */
  readonly resources: ResourceAddresses;
  readonly coresUsed: number;
  readonly memoryUsedMb: number;
  /** Addresses held by the drivers and executors placed on the worker. */
  readonly resourcesUsed: ResourceAddresses;
  readonly state: WorkerState;
  readonly lastHeartbeatMs: number;
  /** Why a DEAD worker was lost, for the executors settled after it died. */
  readonly lostReason?: string;
  /** What runs the worker (its ECS task ARN, a local process): how the pool stops it. */
  readonly instanceId?: string;
  /** How many states it has had (lib/core/events.ts): its state changes' order. */
  readonly stateSeq?: number;
}

export interface DriverDescription {
  readonly appResource: string;
  readonly mainClass: string;
  readonly appArgs: readonly string[];
  readonly sparkProperties: Readonly<Record<string, string>>;
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly cores: number;
  readonly memoryMb: number;
  readonly supervise: boolean;
  readonly resources: ResourceAmounts;
}

export interface Driver {
  readonly id: string;
  /** Position in the waiting queue: the never-wrapping counter behind the id. */
  readonly seq: number;
  readonly submitTimeMs: number;
  readonly description: DriverDescription;
  readonly state: DriverState;
  /** The last worker the driver was placed on (Spark keeps it after the driver ends). */
  readonly workerId?: string;
  readonly workerHostPort?: string;
  readonly resources: ResourceAddresses;
  readonly exception?: string;
  /** When a pass placed it on its worker: its runtime and its usage count from here. */
  readonly launchTimeMs?: number;
  readonly endTimeMs?: number;
  /** Why sparkplane asked its worker to kill it (its maximum runtime): its final message. */
  readonly killReason?: string;
  /** The application this driver registered last: it ends when the driver does. */
  readonly appId?: string;
  /** Set when the driver is a Spark Connect session (lib/core/session.ts). */
  readonly session?: DriverSession;
  /** How many states it has had (lib/core/events.ts): its state changes' order. */
  readonly stateSeq?: number;
}

/** What one executor of a resource profile needs (Spark's ExecutorResourceDescription). */
export interface ExecutorResources {
  /** `spark.executor.cores` only when explicitly set: unset means one executor per worker. */
  readonly coresPerExecutor?: number;
  readonly memoryMb: number;
  readonly resources: ResourceAmounts;
}

export interface ResourceProfile extends ExecutorResources {
  readonly id: number;
}

export const DEFAULT_RESOURCE_PROFILE_ID = 0;

export interface ApplicationDescription {
  readonly name: string;
  readonly user: string;
  /** `spark.cores.max`; unset means `spark.deploy.defaultCores`. */
  readonly maxCores?: number;
  readonly initialExecutorLimit?: number;
  readonly defaultProfile: ExecutorResources;
  readonly command: ExecutorCommand;
  /** The registering driver's address: Spark tracks one application per driver address. */
  readonly driverAddress?: string;
}

export interface Application {
  readonly id: string;
  /** FIFO position: the never-wrapping counter behind the id. */
  readonly seq: number;
  readonly submitTimeMs: number;
  readonly description: ApplicationDescription;
  readonly state: ApplicationState;
  /** Resource profiles by id, the default profile (id 0) included. */
  readonly resourceProfiles: Readonly<Record<string, ResourceProfile>>;
  /** Target executor count per resource profile id (dynamic allocation). */
  readonly executorTargets: Readonly<Record<string, number>>;
  readonly coresGranted: number;
  readonly retryCount: number;
  readonly nextExecutorId: number;
  readonly endTimeMs?: number;
  /** When its driver last renewed the application's liveness lease (registration counts). */
  readonly leaseRenewedMs?: number;
  /** What its ended executors held (lib/core/usage.ts): ended ones are not read with it. */
  readonly endedExecutorUsage?: Held;
  /** Spark's warning, while no ALIVE worker could ever host one of its executors. */
  readonly warning?: string;
  /** How many states it has had (lib/core/events.ts): its state changes' order. */
  readonly stateSeq?: number;
}

/** What a run held over time: core-seconds, MiB-seconds, address-seconds per resource. */
export interface Held {
  readonly coreSeconds: number;
  readonly memoryMibSeconds: number;
  readonly resourceSeconds: Readonly<Record<string, number>>;
}

export interface Executor {
  readonly appId: string;
  readonly id: number;
  readonly workerId: string;
  readonly workerHostPort: string;
  readonly resourceProfileId: number;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
  readonly state: ExecutorState;
  readonly exitStatus?: number;
  readonly message?: string;
  /** When a pass placed it; `endTimeMs` when it left its application: its usage. */
  readonly launchTimeMs?: number;
  readonly endTimeMs?: number;
}

/** Everything the master knows. Executors are keyed by their full id `appId/execId`. */
export interface Cluster {
  readonly workers: Readonly<Record<string, Worker>>;
  readonly applications: Readonly<Record<string, Application>>;
  readonly executors: Readonly<Record<string, Executor>>;
  readonly drivers: Readonly<Record<string, Driver>>;
}

export const executorKey = (appId: string, executorId: number): string => `${appId}/${executorId}`;

/** A record by id, never a member every object inherits (`constructor`, `toString`…). */
export const byId = <T>(records: Readonly<Record<string, T>>, id: string): T | undefined =>
  Object.hasOwn(records, id) ? records[id] : undefined;

export const hostPort = (worker: Pick<Worker, 'host' | 'port'>): string =>
  `${worker.host}:${worker.port}`;

/** An executor still counted by its application (Spark's `app.executors`). */
export const isExecutorLive = (state: ExecutorState): boolean =>
  state === 'LAUNCHING' || state === 'RUNNING';

export const isApplicationActive = (state: ApplicationState): boolean =>
  state === 'WAITING' || state === 'RUNNING' || state === 'UNKNOWN';

export const isDriverActive = (state: DriverState): boolean =>
  state === 'SUBMITTED' || state === 'RUNNING' || state === 'UNKNOWN';

/** A driver in the waiting queue: active and not placed on a worker. */
export const isDriverWaiting = (driver: Driver): boolean =>
  driver.state === 'SUBMITTED' && driver.workerId === undefined;

/** Free addresses of one resource, in Spark's order (sorted). */
export function freeAddresses(w: Worker, name: string): string[] {
  const all = w.resources[name];
  if (!all) return [];
  const used = w.resourcesUsed[name];
  const free = used && used.length > 0 ? all.filter((a) => !used.includes(a)) : [...all];
  return free.sort();
}

/** Spark's `getTargetExecutorNumForRPId`: unknown profiles have a target of 0. */
export function executorTarget(app: Application, rpId: number): number {
  return app.executorTargets[String(rpId)] ?? 0;
}

/** `spark.cores.max` if the application set it, else `spark.deploy.defaultCores`. */
export function requestedCores(app: Application, defaultCores: number): number {
  return app.description.maxCores ?? defaultCores;
}
