// What the master tells a worker (PROTOCOL.md "Commands"): the same objects travel on the
// push channel and in heartbeat answers.

import { type DriverCommand, type DriverTemplate, driverCommand } from '../core/driver-command.js';
import type { Effect } from '../core/lifecycle.js';
import type {
  Application,
  Cluster,
  Driver,
  Executor,
  ExecutorCommand,
  ResourceAddresses,
} from '../core/model.js';
import type { Plan } from '../core/schedule.js';

export interface LaunchExecutor {
  readonly type: 'LaunchExecutor';
  readonly appId: string;
  readonly executorId: number;
  readonly resourceProfileId: number;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
  readonly command: ExecutorCommand;
  /** What the worker ships this executor's logs with (auth on only; lib/api/auth.ts). */
  readonly logToken?: string;
}

export interface LaunchDriver {
  readonly type: 'LaunchDriver';
  readonly driverId: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
  readonly supervise: boolean;
  /** What to run (lib/core/driver-command.ts), worker placeholders left in. */
  readonly command: DriverCommand;
  /** A bearer token for the application routes, handed to the driver (auth on only). */
  readonly token?: string;
  /** The driver is a Spark Connect session (lib/core/session.ts). */
  readonly session?: true;
  /** A session's Connect bearer token (SPARK_CONNECT_AUTHENTICATE_TOKEN); never stored. */
  readonly connectToken?: string;
  /** What the worker ships this driver's logs with (auth on only). */
  readonly logToken?: string;
}

export interface KillExecutor {
  readonly type: 'KillExecutor';
  readonly appId: string;
  readonly executorId: number;
}

export interface KillDriver {
  readonly type: 'KillDriver';
  readonly driverId: string;
}

/** The UI decommissioned the worker: it launches nothing more (Spark's DecommissionWorker). */
export interface DecommissionWorker {
  readonly type: 'DecommissionWorker';
}

export type WorkerCommand =
  | LaunchExecutor
  | LaunchDriver
  | KillExecutor
  | KillDriver
  | DecommissionWorker;

function add(map: Map<string, WorkerCommand[]>, workerId: string, command: WorkerCommand) {
  map.set(workerId, [...(map.get(workerId) ?? []), command]);
}

/** LaunchDriver for a driver placed with these cores, memory and resource addresses. */
export function launchDriver(
  driver: Driver,
  placed: { cores: number; memoryMb: number; resources: ResourceAddresses },
  templates?: readonly DriverTemplate[],
): LaunchDriver {
  return {
    type: 'LaunchDriver',
    driverId: driver.id,
    cores: placed.cores,
    memoryMb: placed.memoryMb,
    resources: placed.resources,
    supervise: driver.description.supervise,
    command: driverCommand(driver.id, driver.description, templates),
    ...(driver.session ? { session: true as const } : {}),
  };
}

/** LaunchExecutor for one executor of an application. */
export function launchExecutor(
  app: Application,
  e: Pick<Executor, 'resourceProfileId' | 'cores' | 'memoryMb' | 'resources'> & {
    executorId: number;
  },
): LaunchExecutor {
  return {
    type: 'LaunchExecutor',
    appId: app.id,
    executorId: e.executorId,
    resourceProfileId: e.resourceProfileId,
    cores: e.cores,
    memoryMb: e.memoryMb,
    resources: e.resources,
    command: app.description.command,
  };
}

/** The launch commands of a committed plan, per worker; `cluster` is what it was planned on. */
export function launchCommands(
  cluster: Cluster,
  plan: Plan,
  templates?: readonly DriverTemplate[],
): Map<string, WorkerCommand[]> {
  const byWorker = new Map<string, WorkerCommand[]>();
  for (const d of plan.drivers) {
    const driver = cluster.drivers[d.driverId];
    if (driver) add(byWorker, d.workerId, launchDriver(driver, d, templates));
  }
  for (const e of plan.executors) {
    const app = cluster.applications[e.appId];
    if (app) add(byWorker, e.workerId, launchExecutor(app, e));
  }
  return byWorker;
}

/** The kill and decommission commands among a transition's effects, per worker. */
export function killCommands(effects: readonly Effect[]): Map<string, WorkerCommand[]> {
  const byWorker = new Map<string, WorkerCommand[]>();
  for (const e of effects) {
    if (e.type === 'KillExecutor') {
      add(byWorker, e.workerId, { type: 'KillExecutor', appId: e.appId, executorId: e.executorId });
    } else if (e.type === 'KillDriver') {
      add(byWorker, e.workerId, { type: 'KillDriver', driverId: e.driverId });
    } else if (e.type === 'DecommissionWorker') {
      add(byWorker, e.workerId, { type: 'DecommissionWorker' });
    }
  }
  return byWorker;
}
