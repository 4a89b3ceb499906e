// The master's reactions to events (spec §b, §d, §e, §f) as pure functions
// `(cluster, event) -> { cluster, effects }`. The returned cluster shares every record
// the event did not touch, so `next.workers[id] !== prev.workers[id]` says what changed.

import type { MasterConfig } from './config.js';
import { nextStateSeq } from './events.js';
import {
  type Application,
  type ApplicationDescription,
  type ApplicationState,
  byId,
  type Cluster,
  DEFAULT_RESOURCE_PROFILE_ID,
  type Driver,
  type DriverDescription,
  type DriverState,
  type Executor,
  type ExecutorState,
  executorKey,
  hostPort,
  INT_MAX,
  isApplicationActive,
  isDriverActive,
  isDriverWaiting,
  isExecutorLive,
  type ResourceAddresses,
  type ResourceAmounts,
  type Worker,
} from './model.js';
import { parseInteger } from './properties.js';
import type { Plan } from './schedule.js';
import { dueDriverTimeouts, durationText, timeoutsOf } from './timeouts.js';
import { addHeld, executorHeld, NOTHING_HELD } from './usage.js';

/** What the shell must do after a transition is stored. */
export type Effect =
  | { readonly type: 'LaunchDriver'; readonly workerId: string; readonly driverId: string }
  | {
      readonly type: 'LaunchExecutor';
      readonly workerId: string;
      readonly appId: string;
      readonly executorId: number;
    }
  | { readonly type: 'KillDriver'; readonly workerId: string; readonly driverId: string }
  | {
      readonly type: 'KillExecutor';
      readonly workerId: string;
      readonly appId: string;
      readonly executorId: number;
    }
  | { readonly type: 'DecommissionWorker'; readonly workerId: string }
  /** Tell every listed worker, dead ones too, so they clean up the application's state. */
  | { readonly type: 'ApplicationFinished'; readonly appId: string }
  /** A scheduling pass is due (spec §c.1). */
  | { readonly type: 'Schedule' };

export interface Transition {
  readonly cluster: Cluster;
  readonly effects: readonly Effect[];
  /**
   * Set when the change budget ran out: the records left over (executors of a finished
   * application, of a dead or decommissioned worker; drivers of a dead worker) are settled
   * by `repairs`, in further bounded steps.
   */
  readonly unsettled?: true;
}

/**
 * How many executors and drivers one transition may settle. The shell stores a transition
 * in one DynamoDB transaction (at most 100 writes), so it bounds what a single event may
 * touch; `Infinity` gives Spark's all-at-once behaviour.
 */
export type Budget = number;

/** Identity of a new driver: its id and the never-wrapping counter value behind it. */
export interface DriverIdentity {
  readonly id: string;
  readonly seq: number;
}

export interface Context {
  readonly now: number;
  /** Allocates the id of a relaunched supervised driver. */
  readonly nextDriver: () => DriverIdentity;
}

const FINAL_DRIVER_STATES: readonly DriverState[] = ['ERROR', 'FINISHED', 'KILLED', 'FAILED'];
const REPORTABLE_EXECUTOR_STATES: readonly ExecutorState[] = [
  'RUNNING',
  'KILLED',
  'FAILED',
  'LOST',
  'EXITED',
];

/** A record with the state-change count its state gives it, after `before`. */
function staged<T extends { readonly state: string; readonly stateSeq?: number }>(
  before: T | undefined,
  after: T,
): T {
  const stateSeq = nextStateSeq(before, after.state);
  return stateSeq === after.stateSeq || stateSeq === undefined ? after : { ...after, stateSeq };
}

/** Copy-on-write view of a cluster that collects effects. */
class Draft {
  private readonly current: { -readonly [K in keyof Cluster]: Cluster[K] };
  private readonly copied = new Set<keyof Cluster>();
  readonly effects: Effect[] = [];
  private exhausted = false;

  /** `now`, when known, stamps the end of every executor that leaves its application. */
  constructor(
    readonly base: Cluster,
    private budget: Budget = Number.POSITIVE_INFINITY,
    private readonly now?: number,
  ) {
    this.current = { ...base };
  }

  /** Takes one unit of the budget for settling an executor or a driver. */
  spend(): boolean {
    if (this.budget <= 0) {
      this.exhausted = true;
      return false;
    }
    this.budget--;
    return true;
  }

  private writable<K extends keyof Cluster>(kind: K): Record<string, Cluster[K][string]> {
    if (!this.copied.has(kind)) {
      this.copied.add(kind);
      this.current[kind] = { ...this.current[kind] };
    }
    return this.current[kind] as Record<string, Cluster[K][string]>;
  }

  worker(id: string): Worker | undefined {
    return byId(this.current.workers, id);
  }
  application(id: string): Application | undefined {
    return byId(this.current.applications, id);
  }
  executor(appId: string, executorId: number): Executor | undefined {
    return byId(this.current.executors, executorKey(appId, executorId));
  }
  driver(id: string): Driver | undefined {
    return byId(this.current.drivers, id);
  }
  allWorkers(): Worker[] {
    return Object.values(this.current.workers);
  }
  allExecutors(): Executor[] {
    return Object.values(this.current.executors);
  }
  allDrivers(): Driver[] {
    return Object.values(this.current.drivers);
  }
  allApplications(): Application[] {
    return Object.values(this.current.applications);
  }

  // Each record counts its states from the one the transition started with, so a state
  // change is one step of `stateSeq` however many puts the transition makes.
  putWorker(w: Worker): void {
    this.writable('workers')[w.id] = staged(byId(this.base.workers, w.id), w);
  }
  putApplication(a: Application): void {
    this.writable('applications')[a.id] = staged(byId(this.base.applications, a.id), a);
  }
  putExecutor(e: Executor): void {
    const key = executorKey(e.appId, e.id);
    const before = byId(this.current.executors, key);
    const ends =
      this.now !== undefined &&
      e.endTimeMs === undefined &&
      before !== undefined &&
      isExecutorLive(before.state) &&
      !isExecutorLive(e.state);
    if (!ends || this.now === undefined) {
      this.writable('executors')[key] = e;
      return;
    }
    this.writable('executors')[key] = { ...e, endTimeMs: this.now };
    // Ended executors are not read with their application: it keeps what they held.
    const app = this.application(e.appId);
    if (app && e.launchTimeMs !== undefined) {
      const endedExecutorUsage = addHeld(
        app.endedExecutorUsage ?? NOTHING_HELD,
        executorHeld(e, this.now),
      );
      this.putApplication({ ...app, endedExecutorUsage });
    }
  }
  putDriver(d: Driver): void {
    this.writable('drivers')[d.id] = staged(byId(this.base.drivers, d.id), d);
  }
  deleteWorker(id: string): void {
    delete this.writable('workers')[id];
  }
  deleteApplication(id: string): void {
    delete this.writable('applications')[id];
    const executors = this.writable('executors');
    for (const [key, e] of Object.entries(executors)) if (e.appId === id) delete executors[key];
  }
  deleteDriver(id: string): void {
    delete this.writable('drivers')[id];
  }

  changed(): boolean {
    return this.copied.size > 0;
  }

  emit(effect: Effect): void {
    if (effect.type === 'Schedule' && this.effects.some((e) => e.type === 'Schedule')) return;
    this.effects.push(effect);
  }

  done(): Transition {
    return {
      cluster: this.copied.size === 0 ? this.base : { ...this.current },
      effects: this.effects,
      ...(this.exhausted ? { unsettled: true as const } : {}),
    };
  }
}

// ---- worker capacity -------------------------------------------------------------------

function addAddresses(a: ResourceAddresses, b: ResourceAddresses): ResourceAddresses {
  const out: Record<string, readonly string[]> = { ...a };
  for (const [name, addrs] of Object.entries(b)) out[name] = [...(out[name] ?? []), ...addrs];
  return out;
}

/** Names left without addresses are dropped: one form for "none used". */
function removeAddresses(a: ResourceAddresses, b: ResourceAddresses): ResourceAddresses {
  const out: Record<string, readonly string[]> = { ...a };
  for (const [name, addrs] of Object.entries(b)) {
    const left = (out[name] ?? []).filter((x) => !addrs.includes(x));
    if (left.length > 0) out[name] = left;
    else delete out[name];
  }
  return out;
}

interface Allocation {
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
}

function occupy(d: Draft, workerId: string, a: Allocation): void {
  const w = d.worker(workerId);
  if (!w) return;
  d.putWorker({
    ...w,
    coresUsed: w.coresUsed + a.cores,
    memoryUsedMb: w.memoryUsedMb + a.memoryMb,
    resourcesUsed: addAddresses(w.resourcesUsed, a.resources),
  });
}

function release(d: Draft, workerId: string, a: Allocation): void {
  const w = d.worker(workerId);
  if (!w) return;
  d.putWorker({
    ...w,
    coresUsed: w.coresUsed - a.cores,
    memoryUsedMb: w.memoryUsedMb - a.memoryMb,
    resourcesUsed: removeAddresses(w.resourcesUsed, a.resources),
  });
}

/** Spark's `app.removeExecutor`: the executor no longer counts toward the app's cores. */
function removeFromApplication(d: Draft, e: Executor): void {
  const app = d.application(e.appId);
  if (app) d.putApplication({ ...app, coresGranted: app.coresGranted - e.cores });
}

/** Spark's `killExecutor`: free the worker, tell it to kill, mark KILLED. */
function killExecutor(d: Draft, e: Executor): void {
  release(d, e.workerId, e);
  d.emit({ type: 'KillExecutor', workerId: e.workerId, appId: e.appId, executorId: e.id });
  d.putExecutor({ ...e, state: 'KILLED' });
}

/** Executors Spark's `WorkerInfo.executors` holds: launched there and not yet removed. */
const onWorker = (e: Executor, workerId: string): boolean =>
  e.workerId === workerId && (isExecutorLive(e.state) || e.state === 'DECOMMISSIONED');

/** What a worker should be running: the master's side of WorkerLatestState (§d.1). */
export function assignedTo(
  cluster: Cluster,
  workerId: string,
): { executors: Executor[]; drivers: Driver[] } {
  return {
    executors: Object.values(cluster.executors).filter((e) => onWorker(e, workerId)),
    drivers: Object.values(cluster.drivers).filter(
      (dr) => dr.workerId === workerId && isDriverActive(dr.state),
    ),
  };
}

// ---- scheduling ------------------------------------------------------------------------

/** Records a pass's placements at `now`: drivers RUNNING, executors LAUNCHING, capacity taken. */
export function applyPlan(cluster: Cluster, plan: Plan, now: number): Transition {
  const d = new Draft(cluster, undefined, now);
  for (const launch of plan.drivers) {
    const driver = d.driver(launch.driverId);
    if (!driver) continue;
    occupy(d, launch.workerId, launch);
    d.putDriver({
      ...driver,
      state: 'RUNNING',
      workerId: launch.workerId,
      workerHostPort: launch.workerHostPort,
      resources: launch.resources,
      launchTimeMs: now,
    });
    d.emit({ type: 'LaunchDriver', workerId: launch.workerId, driverId: launch.driverId });
  }
  for (const launch of plan.executors) {
    const app = d.application(launch.appId);
    if (!app) continue;
    occupy(d, launch.workerId, launch);
    d.putExecutor({
      appId: launch.appId,
      id: launch.executorId,
      workerId: launch.workerId,
      workerHostPort: launch.workerHostPort,
      resourceProfileId: launch.resourceProfileId,
      cores: launch.cores,
      memoryMb: launch.memoryMb,
      resources: launch.resources,
      state: 'LAUNCHING',
      launchTimeMs: now,
    });
    d.putApplication({
      ...app,
      state: 'RUNNING',
      coresGranted: app.coresGranted + launch.cores,
      nextExecutorId: Math.max(app.nextExecutorId, launch.executorId + 1),
    });
    d.emit({
      type: 'LaunchExecutor',
      workerId: launch.workerId,
      appId: launch.appId,
      executorId: launch.executorId,
    });
  }
  return d.done();
}

// ---- drivers (§f) ----------------------------------------------------------------------

/** A REST create (or relaunch copy): a new driver in the waiting queue. */
export function submitDriver(
  cluster: Cluster,
  identity: DriverIdentity,
  description: DriverDescription,
  now: number,
): Transition {
  const d = new Draft(cluster);
  d.putDriver({
    id: identity.id,
    seq: identity.seq,
    submitTimeMs: now,
    description,
    state: 'SUBMITTED',
    resources: {},
  });
  d.emit({ type: 'Schedule' });
  return d.done();
}

/** Spark's `removeDriver`: final state, capacity back to its worker, a pass. */
function removeDriver(
  d: Draft,
  driver: Driver,
  state: DriverState,
  now: number,
  exception?: string,
): void {
  if (driver.workerId !== undefined && !isDriverWaiting(driver)) {
    release(d, driver.workerId, { ...driver.description, resources: driver.resources });
  }
  // A driver sparkplane killed (its maximum runtime) ends with the reason as its message.
  const message = exception ?? (state === 'KILLED' ? driver.killReason : undefined);
  d.putDriver({
    ...driver,
    state,
    endTimeMs: now,
    ...(message === undefined ? {} : { exception: message }),
  });
  // Its process is gone, so is its connection: Spark's master finishes the application of
  // a driver that disconnects.
  const app = driver.appId === undefined ? undefined : d.application(driver.appId);
  if (app && isApplicationActive(app.state)) removeApplication(d, app, 'FINISHED', now);
  d.emit({ type: 'Schedule' });
}

/** Spark's `relaunchDriver`: the old record ends RELAUNCHING, a copy queues under a new id. */
function relaunchDriver(d: Draft, driver: Driver, ctx: Context): void {
  removeDriver(d, driver, 'RELAUNCHING', ctx.now);
  const identity = ctx.nextDriver();
  d.putDriver({
    id: identity.id,
    seq: identity.seq,
    submitTimeMs: ctx.now,
    description: driver.description,
    state: 'SUBMITTED',
    resources: {},
  });
}

export interface KillOutcome extends Transition {
  readonly success: boolean;
  readonly message: string;
}

function kill(d: Draft, driver: Driver, now: number): void {
  if (isDriverWaiting(driver)) removeDriver(d, driver, 'KILLED', now);
  else if (driver.workerId !== undefined) {
    d.emit({ type: 'KillDriver', workerId: driver.workerId, driverId: driver.id });
  }
}

/** REST kill: a waiting driver ends KILLED now, a placed one is asked to stop (§a.4). */
export function killDriver(cluster: Cluster, driverId: string, now: number): KillOutcome {
  const d = new Draft(cluster, undefined, now);
  const driver = d.driver(driverId);
  if (!driver || !isDriverActive(driver.state)) {
    return {
      ...d.done(),
      success: false,
      message: `Driver ${driverId} has already finished or does not exist`,
    };
  }
  kill(d, driver, now);
  return { ...d.done(), success: true, message: `Kill request for ${driverId} submitted` };
}

/** REST killall: the kill logic applied to every active driver. */
export function killAllDrivers(cluster: Cluster, now: number): KillOutcome {
  const d = new Draft(cluster, undefined, now);
  for (const driver of d.allDrivers()) if (isDriverActive(driver.state)) kill(d, driver, now);
  return { ...d.done(), success: true, message: 'Kill request for all drivers submitted' };
}

export type ReportOutcome = 'applied' | 'unknown' | 'rejected';

/** DriverStateChanged from a worker: only final states are accepted (§b DriverState). */
export function driverStateChanged(
  cluster: Cluster,
  report: { driverId: string; state: DriverState; exception?: string },
  now: number,
  budget?: Budget,
): Transition & { outcome: ReportOutcome } {
  const d = new Draft(cluster, budget, now);
  if (!FINAL_DRIVER_STATES.includes(report.state)) return { ...d.done(), outcome: 'rejected' };
  const driver = d.driver(report.driverId);
  if (!driver || !isDriverActive(driver.state)) return { ...d.done(), outcome: 'unknown' };
  removeDriver(d, driver, report.state, now, report.exception);
  return { ...d.done(), outcome: 'applied' };
}

/**
 * A driver past its queue timeout ends ERROR, its message saying why it was not placed; a
 * driver past its maximum runtime is asked to stop, and ends KILLED with the reason. Each is
 * decided again on the state it is applied to: a pass may have placed the driver since.
 */
export function driverTimedOut(
  cluster: Cluster,
  driverId: string,
  config: Pick<MasterConfig, 'driverQueueTimeoutMs' | 'driverMaxRuntimeMs'>,
  now: number,
  /** Why it waits (`whyNotPlaced`), decided on a view with every worker and driver. */
  whyWaiting: string,
): Transition {
  const d = new Draft(cluster, undefined, now);
  const driver = d.driver(driverId);
  if (!driver) return d.done();
  const due = dueDriverTimeouts({ [driverId]: driver }, config, now);
  const limits = timeoutsOf(driver, config);
  if (due.queued.includes(driverId)) {
    const limit = durationText(limits.driverQueueTimeoutMs as number);
    const message = `Not placed within its queue timeout (${limit}): ${whyWaiting}`;
    removeDriver(d, driver, 'ERROR', now, message);
  } else if (due.overdue.includes(driverId) && driver.workerId !== undefined) {
    const limit = durationText(limits.driverMaxRuntimeMs as number);
    d.putDriver({ ...driver, killReason: `Killed: it ran past its maximum runtime (${limit})` });
    d.emit({ type: 'KillDriver', workerId: driver.workerId, driverId });
  }
  return d.done();
}

// ---- workers (§d) ----------------------------------------------------------------------

export interface WorkerRegistration {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly cores: number;
  readonly memoryMb: number;
  readonly webUiUrl: string;
  readonly resources: ResourceAddresses;
  readonly instanceId?: string;
}

export type RegistrationOutcome =
  | { readonly kind: 'registered' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'failed'; readonly message: string };

/** Spark's RegisterWorker handling (§d.1); the master is always ALIVE here. */
export function registerWorker(
  cluster: Cluster,
  reg: WorkerRegistration,
  ctx: Context,
): Transition & { outcome: RegistrationOutcome } {
  const d = new Draft(cluster, undefined, ctx.now);
  const existing = d.worker(reg.id);
  if (existing && existing.state !== 'DEAD') {
    if (existing.state === 'UNKNOWN') d.putWorker({ ...existing, state: 'ALIVE' });
    return { ...d.done(), outcome: { kind: 'duplicate' } };
  }
  const address = hostPort(reg);
  for (const w of d.allWorkers()) {
    if (w.state === 'DEAD' && hostPort(w) === address) {
      settleDeadWorker(d, w.id, ctx);
      d.deleteWorker(w.id);
    }
  }
  const sameAddress = d.allWorkers().find((w) => hostPort(w) === address);
  if (sameAddress) {
    if (sameAddress.state !== 'UNKNOWN') {
      // The dead entries at that address stay dropped even though registration fails.
      const message = `Attempted to re-register worker at same address: ${address}`;
      return { ...d.done(), outcome: { kind: 'failed', message } };
    }
    removeWorker(d, sameAddress, 'Worker replaced by a new worker with same address', ctx);
  }
  d.putWorker({
    ...reg,
    coresUsed: 0,
    memoryUsedMb: 0,
    resourcesUsed: {},
    state: 'ALIVE',
    lastHeartbeatMs: ctx.now,
  });
  d.emit({ type: 'Schedule' });
  return { ...d.done(), outcome: { kind: 'registered' } };
}

/**
 * Heartbeat: a registered worker's liveness is refreshed; any other id is told to
 * re-register. Spark ignores ids it never saw; an HTTP worker has no connection to lose,
 * so that answer is the only way a forgotten worker learns it must register again.
 */
export function workerHeartbeat(
  cluster: Cluster,
  workerId: string,
  now: number,
): Transition & { reconnect: boolean } {
  const d = new Draft(cluster);
  const w = d.worker(workerId);
  if (!w || w.state === 'DEAD') return { ...d.done(), reconnect: true };
  d.putWorker({ ...w, lastHeartbeatMs: now });
  return { ...d.done(), reconnect: false };
}

/** WorkerLatestState: kill what the worker runs that the master did not place there. */
export function workerLatestState(
  cluster: Cluster,
  workerId: string,
  running: {
    readonly executors: readonly { appId: string; executorId: number }[];
    readonly driverIds: readonly string[];
  },
): Transition {
  const d = new Draft(cluster);
  const w = d.worker(workerId);
  if (!w || w.state === 'DEAD') return d.done();
  const assigned = assignedTo(cluster, workerId);
  for (const e of running.executors) {
    if (!assigned.executors.some((a) => a.appId === e.appId && a.id === e.executorId)) {
      d.emit({ type: 'KillExecutor', workerId, appId: e.appId, executorId: e.executorId });
    }
  }
  for (const driverId of running.driverIds) {
    if (!assigned.drivers.some((a) => a.id === driverId)) {
      d.emit({ type: 'KillDriver', workerId, driverId });
    }
  }
  return d.done();
}

/** Spark's `removeWorker` (§d.3): the worker DEAD, then its executors and drivers settled. */
function removeWorker(d: Draft, worker: Worker, reason: string, ctx: Context): void {
  d.putWorker({ ...worker, state: 'DEAD', lostReason: reason });
  settleDeadWorker(d, worker.id, ctx);
  d.emit({ type: 'Schedule' });
}

/** A dead (or forgotten) worker's executors become LOST, its drivers relaunch or end in ERROR. */
function settleDeadWorker(d: Draft, workerId: string, ctx: Context): void {
  const reason = d.worker(workerId)?.lostReason ?? 'worker lost';
  for (const e of d.allExecutors()) {
    if (!onWorker(e, workerId)) continue;
    if (!d.spend()) return;
    if (isExecutorLive(e.state)) removeFromApplication(d, e);
    d.putExecutor({ ...e, state: 'LOST', message: `worker lost: ${reason}` });
  }
  for (const driver of d.allDrivers()) {
    if (driver.workerId !== workerId || !isDriverActive(driver.state)) continue;
    if (!d.spend()) return;
    if (driver.description.supervise) relaunchDriver(d, driver, ctx);
    else removeDriver(d, driver, 'ERROR', ctx.now);
  }
}

/**
 * Settles what a bounded transition (or a handler that died between its transactions) left
 * behind: executors and drivers of dead or forgotten workers, live executors of
 * decommissioned workers, live executors of applications that have ended. Spark does all of
 * this inside the event that caused it; here a later step finishes it, at most `budget`
 * records at a time.
 */
export function repairs(cluster: Cluster, ctx: Context, budget?: Budget): Transition {
  const d = new Draft(cluster, budget, ctx.now);
  const gone = new Set<string>();
  for (const e of d.allExecutors()) {
    if ((isExecutorLive(e.state) || e.state === 'DECOMMISSIONED') && !d.worker(e.workerId)) {
      gone.add(e.workerId);
    }
  }
  for (const dr of d.allDrivers()) {
    if (dr.workerId !== undefined && isDriverActive(dr.state) && !isDriverWaiting(dr)) {
      if (!d.worker(dr.workerId)) gone.add(dr.workerId);
    }
  }
  for (const w of d.allWorkers()) {
    if (w.state === 'DEAD') gone.add(w.id);
    else if (w.state === 'DECOMMISSIONED') settleDecommissionedWorker(d, w.id);
  }
  for (const id of gone) settleDeadWorker(d, id, ctx);
  for (const e of d.allExecutors()) {
    const app = d.application(e.appId);
    if (!isExecutorLive(e.state) || (app && isApplicationActive(app.state))) continue;
    if (!d.spend()) break;
    killExecutor(d, e);
  }
  if (d.changed()) d.emit({ type: 'Schedule' });
  return d.done();
}

/** A worker is lost (timeout or disconnect): executors LOST, drivers relaunched or ERROR. */
export function workerLost(
  cluster: Cluster,
  workerId: string,
  reason: string,
  ctx: Context,
  budget?: Budget,
): Transition {
  const d = new Draft(cluster, budget, ctx.now);
  const w = d.worker(workerId);
  if (w && w.state !== 'DEAD') removeWorker(d, w, reason, ctx);
  return d.done();
}

/**
 * Spark's CheckForWorkerTimeOut (§d.2) at `now`: workers silent for more than T are lost; a
 * dead worker silent for more than (P+1)·T is forgotten.
 */
export function timedOutWorkers(
  cluster: Pick<Cluster, 'workers'>,
  config: Pick<MasterConfig, 'workerTimeoutSec' | 'deadWorkerPersistence'>,
  now: number,
): { lost: string[]; forgotten: string[]; reason: string } {
  const timeoutMs = config.workerTimeoutSec * 1000;
  const lost: string[] = [];
  const forgotten: string[] = [];
  for (const w of Object.values(cluster.workers)) {
    if (w.lastHeartbeatMs >= now - timeoutMs) continue;
    if (w.state !== 'DEAD') lost.push(w.id);
    else if (w.lastHeartbeatMs < now - (config.deadWorkerPersistence + 1) * timeoutMs) {
      forgotten.push(w.id);
    }
  }
  return {
    lost,
    forgotten,
    reason: `Not receiving heartbeat for ${Math.floor(timeoutMs / 1000)} seconds`,
  };
}

/**
 * A master started again on its recovery state (§g): a worker it knew is UNKNOWN, placed on
 * no more, until a worker registering at its address replaces it or the timeout removes it.
 */
export function workerUnknown(cluster: Cluster, workerId: string): Transition {
  const d = new Draft(cluster);
  const w = d.worker(workerId);
  if (w?.state === 'ALIVE') d.putWorker({ ...w, state: 'UNKNOWN' });
  return d.done();
}

/** A DEAD worker dropped from the list (its executors and drivers were settled). */
export function forgetWorker(cluster: Cluster, workerId: string): Transition {
  const d = new Draft(cluster);
  if (d.worker(workerId)?.state === 'DEAD') d.deleteWorker(workerId);
  return d.done();
}

/** CheckForWorkerTimeOut as one transition. */
export function checkWorkerTimeouts(
  cluster: Cluster,
  config: Pick<MasterConfig, 'workerTimeoutSec' | 'deadWorkerPersistence'>,
  ctx: Context,
): Transition {
  const d = new Draft(cluster, undefined, ctx.now);
  const { lost, forgotten, reason } = timedOutWorkers(cluster, config, ctx.now);
  for (const id of lost) removeWorker(d, d.worker(id) as Worker, reason, ctx);
  for (const id of forgotten) d.deleteWorker(id);
  return d.done();
}

/** WorkerDecommissioning (§d.4): no new work; its executors leave their applications. */
export function decommissionWorker(
  cluster: Cluster,
  workerId: string,
  budget?: Budget,
  now?: number,
): Transition {
  const d = new Draft(cluster, budget, now);
  const w = d.worker(workerId);
  if (!w || w.state === 'DEAD' || w.state === 'DECOMMISSIONED') return d.done();
  d.putWorker({ ...w, state: 'DECOMMISSIONED' });
  settleDecommissionedWorker(d, workerId);
  return d.done();
}

function settleDecommissionedWorker(d: Draft, workerId: string): void {
  for (const e of d.allExecutors()) {
    if (e.workerId !== workerId || !isExecutorLive(e.state)) continue;
    if (!d.spend()) return;
    removeFromApplication(d, e);
    d.putExecutor({ ...e, state: 'DECOMMISSIONED', message: 'worker decommissioned' });
  }
}

/**
 * The UI's `POST /workers/kill/?host=…`: decommission every registered worker on those
 * hosts (case-insensitive) and tell each to decommission itself; answers the count.
 */
export function decommissionWorkersOnHosts(
  cluster: Cluster,
  hosts: readonly string[],
  now?: number,
): Transition & { count: number } {
  const wanted = new Set(hosts.map((h) => h.toLowerCase()));
  const matched = Object.values(cluster.workers).filter(
    (w) => w.state !== 'DEAD' && wanted.has(w.host.toLowerCase()),
  );
  let next = cluster;
  const effects: Effect[] = [];
  for (const w of matched) {
    next = decommissionWorker(next, w.id, undefined, now).cluster;
    effects.push({ type: 'DecommissionWorker', workerId: w.id });
  }
  return { cluster: next, effects, count: matched.length };
}

// ---- applications (§e) -----------------------------------------------------------------

/**
 * RegisterApplication. Spark tracks one application per driver address: a second one from
 * the same address gets an id but is never scheduled (spec Appendix B.9); here it is not
 * stored either, since nothing could ever read it back.
 */
export function registerApplication(
  cluster: Cluster,
  identity: { readonly id: string; readonly seq: number },
  description: ApplicationDescription,
  now: number,
): Transition & { tracked: boolean } {
  const d = new Draft(cluster);
  const address = description.driverAddress;
  if (
    address !== undefined &&
    d
      .allApplications()
      .some((a) => isApplicationActive(a.state) && a.description.driverAddress === address)
  ) {
    return { ...d.done(), tracked: false };
  }
  const driver = address === undefined ? undefined : d.driver(address);
  if (driver && isDriverActive(driver.state)) d.putDriver({ ...driver, appId: identity.id });
  d.putApplication({
    id: identity.id,
    seq: identity.seq,
    submitTimeMs: now,
    description,
    state: 'WAITING',
    resourceProfiles: {
      [DEFAULT_RESOURCE_PROFILE_ID]: {
        id: DEFAULT_RESOURCE_PROFILE_ID,
        ...description.defaultProfile,
      },
    },
    executorTargets: {
      [DEFAULT_RESOURCE_PROFILE_ID]: description.initialExecutorLimit ?? INT_MAX,
    },
    coresGranted: 0,
    retryCount: 0,
    nextExecutorId: 0,
  });
  d.emit({ type: 'Schedule' });
  return { ...d.done(), tracked: true };
}

/** Spark's `removeApplication`: final state, its executors killed, workers told. */
function removeApplication(d: Draft, app: Application, state: ApplicationState, now: number) {
  d.putApplication({ ...app, state, endTimeMs: now });
  settleFinishedApplication(d, app.id);
  d.emit({ type: 'Schedule' });
  d.emit({ type: 'ApplicationFinished', appId: app.id });
}

/** killExecutor without app.removeExecutor: a finished app keeps its granted cores (UI). */
function settleFinishedApplication(d: Draft, appId: string): void {
  for (const e of d.allExecutors()) {
    if (e.appId !== appId || !isExecutorLive(e.state)) continue;
    if (!d.spend()) return;
    killExecutor(d, e);
  }
}

/** UnregisterApplication (FINISHED) or the UI's kill (KILLED). */
export function finishApplication(
  cluster: Cluster,
  appId: string,
  state: 'FINISHED' | 'KILLED',
  now: number,
  budget?: Budget,
): Transition & { known: boolean } {
  const d = new Draft(cluster, budget, now);
  const app = d.application(appId);
  if (!app || !isApplicationActive(app.state)) return { ...d.done(), known: false };
  removeApplication(d, app, state, now);
  return { ...d.done(), known: true };
}

/** Active applications whose lease was last renewed more than `timeoutMs` before `now`. */
export function expiredApplications(
  cluster: Pick<Cluster, 'applications'>,
  timeoutMs: number,
  now: number,
): string[] {
  return Object.values(cluster.applications)
    .filter(
      (a) => isApplicationActive(a.state) && (a.leaseRenewedMs ?? a.submitTimeMs) < now - timeoutMs,
    )
    .map((a) => a.id);
}

/** An application whose driver stopped renewing its lease ends as if it disconnected. */
export function expireApplication(
  cluster: Cluster,
  appId: string,
  timeoutMs: number,
  now: number,
  budget?: Budget,
): Transition {
  if (!expiredApplications(cluster, timeoutMs, now).includes(appId))
    return { cluster, effects: [] };
  return finishApplication(cluster, appId, 'FINISHED', now, budget);
}

export interface ExecutorReport {
  readonly appId: string;
  readonly executorId: number;
  readonly state: ExecutorState;
  readonly message?: string;
  readonly exitStatus?: number;
}

/** ExecutorStateChanged (§e), with the `maxExecutorRetries` rule. */
export function executorStateChanged(
  cluster: Cluster,
  report: ExecutorReport,
  config: Pick<MasterConfig, 'maxExecutorRetries'>,
  now: number,
  budget?: Budget,
): Transition & { outcome: ReportOutcome } {
  const d = new Draft(cluster, budget, now);
  // A worker reports RUNNING or an end; LAUNCHING and DECOMMISSIONED are the master's own.
  if (!REPORTABLE_EXECUTOR_STATES.includes(report.state)) {
    return { ...d.done(), outcome: 'rejected' };
  }
  const app = d.application(report.appId);
  const exec = d.executor(report.appId, report.executorId);
  // Spark looks the executor up among the app's executors: live ones of an active app.
  if (!app || !isApplicationActive(app.state) || !exec || !isExecutorLive(exec.state)) {
    return { ...d.done(), outcome: 'unknown' };
  }
  if (report.state === 'RUNNING') {
    // Only legal from LAUNCHING (Spark asserts); a repeated RUNNING changes nothing.
    if (exec.state !== 'LAUNCHING') return { ...d.done(), outcome: 'applied' };
    d.putExecutor({ ...exec, state: 'RUNNING' });
    d.putApplication({ ...app, retryCount: 0 });
    // Spark runs schedule() here too, but LAUNCHING → RUNNING frees and grants nothing, so
    // that pass can place nothing new: it is left out (one pass fewer per executor).
    return { ...d.done(), outcome: 'applied' };
  }
  d.putExecutor({
    ...exec,
    state: report.state,
    ...(report.message === undefined ? {} : { message: report.message }),
    ...(report.exitStatus === undefined ? {} : { exitStatus: report.exitStatus }),
  });
  removeFromApplication(d, exec);
  release(d, exec.workerId, exec);
  // The previous state was live, never DECOMMISSIONED, so every abnormal exit counts.
  if (report.exitStatus !== 0) {
    const counted = d.application(app.id) as Application;
    const retryCount = counted.retryCount + 1;
    d.putApplication({ ...counted, retryCount });
    const anyRunning = d.allExecutors().some((e) => e.appId === app.id && e.state === 'RUNNING');
    if (retryCount >= config.maxExecutorRetries && config.maxExecutorRetries >= 0 && !anyRunning) {
      removeApplication(d, d.application(app.id) as Application, 'FAILED', now);
    }
  }
  d.emit({ type: 'Schedule' });
  return { ...d.done(), outcome: 'applied' };
}

export type WorkerReport =
  | ({ readonly kind: 'executor' } & ExecutorReport)
  | {
      readonly kind: 'driver';
      readonly driverId: string;
      readonly state: DriverState;
      readonly exception?: string;
    };

/** The worker an executor or driver a report names runs on, if it is known. */
function runsOn(cluster: Cluster, r: WorkerReport): string | undefined {
  return r.kind === 'executor'
    ? byId(cluster.executors, executorKey(r.appId, r.executorId))?.workerId
    : byId(cluster.drivers, r.driverId)?.workerId;
}

/**
 * A worker's batch of ExecutorStateChanged and DriverStateChanged, applied in order. Spark
 * takes a report from whichever worker sends it; here `reporter` is the worker whose
 * credential sent it, and a report about what another worker runs is rejected, so one
 * worker cannot end another's drivers or executors.
 */
export function workerReports(
  cluster: Cluster,
  reports: readonly WorkerReport[],
  config: Pick<MasterConfig, 'maxExecutorRetries'>,
  now: number,
  budget?: Budget,
  reporter?: string,
): Transition & { outcomes: ReportOutcome[] } {
  let next = cluster;
  const effects: Effect[] = [];
  const outcomes: ReportOutcome[] = [];
  let unsettled = false;
  for (const r of reports) {
    const elsewhere = runsOn(next, r);
    if (reporter !== undefined && elsewhere !== undefined && elsewhere !== reporter) {
      outcomes.push('rejected');
      continue;
    }
    const t =
      r.kind === 'executor'
        ? executorStateChanged(next, r, config, now, budget)
        : driverStateChanged(next, r, now, budget);
    next = t.cluster;
    effects.push(...t.effects);
    outcomes.push(t.outcome);
    unsettled ||= t.unsettled === true;
  }
  return { cluster: next, effects, outcomes, ...(unsettled ? { unsettled: true as const } : {}) };
}

/** A target for one resource profile, as the driver's RequestExecutors carries it. */
export interface ExecutorRequest {
  readonly resourceProfileId: number;
  readonly total: number;
  /** The profile's own executor resources (Spark's ResourceProfile); unset ones default. */
  readonly executor?: {
    readonly coresPerExecutor?: number;
    readonly memoryMb?: number;
    readonly resources?: ResourceAmounts;
  };
}

/**
 * RequestExecutors (dynamic allocation): new targets per profile; never kills. A profile is
 * described once, when first seen, with the application's cores and memory where it sets
 * none (Spark's `createResourceDescForResourceProfile`).
 */
export function requestExecutors(
  cluster: Cluster,
  appId: string,
  requests: readonly ExecutorRequest[],
): Transition & { known: boolean } {
  const d = new Draft(cluster);
  const app = d.application(appId);
  if (!app || !isApplicationActive(app.state)) return { ...d.done(), known: false };
  const resourceProfiles = { ...app.resourceProfiles };
  const executorTargets = { ...app.executorTargets };
  const defaults = app.description.defaultProfile;
  for (const { resourceProfileId: id, total, executor = {} } of requests) {
    if (!Object.hasOwn(resourceProfiles, String(id))) {
      const cores = executor.coresPerExecutor ?? defaults.coresPerExecutor;
      resourceProfiles[String(id)] = {
        id,
        ...(cores === undefined ? {} : { coresPerExecutor: cores }),
        memoryMb: executor.memoryMb ?? defaults.memoryMb,
        resources: executor.resources ?? {},
      };
    }
    executorTargets[String(id)] = total;
  }
  d.putApplication({ ...app, resourceProfiles, executorTargets });
  d.emit({ type: 'Schedule' });
  return { ...d.done(), known: true };
}

/** KillExecutors: ids that are not integers are dropped, unknown ones ignored. */
export function killExecutors(
  cluster: Cluster,
  appId: string,
  executorIds: readonly string[],
  now?: number,
): Transition & { known: boolean } {
  const d = new Draft(cluster, undefined, now);
  const app = d.application(appId);
  if (!app || !isApplicationActive(app.state)) return { ...d.done(), known: false };
  for (const raw of executorIds) {
    let id: number;
    try {
      id = parseInteger(raw);
    } catch {
      continue;
    }
    const e = d.executor(appId, id);
    if (!e || !isExecutorLive(e.state)) continue;
    removeFromApplication(d, e);
    killExecutor(d, e);
  }
  d.emit({ type: 'Schedule' });
  return { ...d.done(), known: true };
}

// ---- retention (§e) --------------------------------------------------------------------

/**
 * How many of `n` completed entries Spark's list keeps: before each append, a list of at
 * least `retained` entries drops its oldest max(retained/10, 1).
 */
export function retainedCount(n: number, retained: number): number {
  const drop = Math.max(Math.floor(retained / 10), 1);
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (size >= retained) size = Math.max(size - drop, 0);
    size++;
  }
  return size;
}

const byCompletion = (
  a: { endTimeMs?: number; seq: number },
  b: { endTimeMs?: number; seq: number },
) => (a.endTimeMs ?? 0) - (b.endTimeMs ?? 0) || a.seq - b.seq;

/** Forgets the oldest completed applications and drivers beyond the retention limits. */
export function trimRetention(
  cluster: Cluster,
  config: Pick<MasterConfig, 'retainedApplications' | 'retainedDrivers'>,
): Transition {
  const d = new Draft(cluster);
  const apps = d
    .allApplications()
    .filter((a) => !isApplicationActive(a.state))
    .sort(byCompletion);
  const appsToDrop = apps.length - retainedCount(apps.length, config.retainedApplications);
  for (const a of apps.slice(0, appsToDrop)) d.deleteApplication(a.id);
  const drivers = d
    .allDrivers()
    .filter((dr) => !isDriverActive(dr.state))
    .sort(byCompletion);
  const driversToDrop = drivers.length - retainedCount(drivers.length, config.retainedDrivers);
  for (const dr of drivers.slice(0, driversToDrop)) d.deleteDriver(dr.id);
  return d.done();
}

/** REST clear: forget every completed application and driver. */
export function clearCompleted(cluster: Cluster): Transition {
  const d = new Draft(cluster);
  for (const a of d.allApplications()) if (!isApplicationActive(a.state)) d.deleteApplication(a.id);
  for (const dr of d.allDrivers()) if (!isDriverActive(dr.state)) d.deleteDriver(dr.id);
  return d.done();
}
