// One scheduling pass of Spark's standalone Master (spec §c): drivers first, then
// executors for applications in FIFO order and their resource profiles in id order.
// The pass reads a Cluster and returns a Plan; it mutates nothing it was given.
//
// Placements are exactly Spark's. Speed comes from two data structures, not from a
// different algorithm:
// - Workers sit in a heap ordered by `spark.deploy.workerSelectionPolicy`, so an
//   application reads the usable workers in Spark's sorted order without sorting every
//   worker again; only the workers it touches are taken out and put back.
// - `scheduleExecutorsOnWorkers` reads that order lazily and stops reading once no
//   further worker could receive anything (see its comment), so a 16-core application
//   on a 10,000-worker cluster looks at a handful of workers.

import type { MasterConfig, WorkerSelectionPolicy } from './config.js';
import { Heap } from './heap.js';
import {
  type Application,
  type Cluster,
  DEFAULT_RESOURCE_PROFILE_ID,
  type Driver,
  type ExecutorResources,
  executorTarget,
  freeAddresses,
  hostPort,
  isApplicationActive,
  isDriverActive,
  isDriverWaiting,
  isExecutorLive,
  type ResourceAddresses,
  type ResourceAmounts,
  requestedCores,
  type Worker,
} from './model.js';

export interface DriverLaunch {
  readonly driverId: string;
  readonly workerId: string;
  readonly workerHostPort: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
}

export interface ExecutorLaunch {
  readonly appId: string;
  readonly executorId: number;
  readonly resourceProfileId: number;
  readonly workerId: string;
  readonly workerHostPort: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
}

/** What one pass decided, in decision order. */
export interface Plan {
  readonly drivers: readonly DriverLaunch[];
  readonly executors: readonly ExecutorLaunch[];
  /** Spark's "requires more resource than any of Workers could have" warnings. */
  readonly warnings: readonly string[];
}

export type SchedulingConfig = Pick<
  MasterConfig,
  'spreadOutApps' | 'spreadOutDrivers' | 'workerSelectionPolicy' | 'defaultCores' | 'maxDrivers'
>;

/** Free capacity of one worker as `scheduleExecutorsOnWorkers` sees it. */
export interface FreeCapacity {
  readonly cores: number;
  readonly memoryMb: number;
  /** Free address count per resource name (a missing name is 0). */
  readonly resources: Readonly<Record<string, number>>;
}

export interface ExecutorDemand {
  readonly coresLeft: number;
  readonly profile: ExecutorResources;
  /** Live executors the application already has for this profile. */
  readonly existingExecutors: number;
  /** The profile's executor target (Int.MaxValue unless dynamic allocation set one). */
  readonly executorLimit: number;
}

/**
 * Spark's `scheduleExecutorsOnWorkers` (spec §c.5): how many cores each worker gives the
 * application, for the workers in the order given. Returns the workers it read and their
 * grants; workers it did not read get nothing.
 *
 * Two differences in *how*, none in *what*:
 * - Spark caps the cores to assign at min(coresLeft, sum of the workers' free cores). When
 *   coresLeft is the larger, the cap never binds: the cores still to assign are then at
 *   least every worker's remaining free cores, so "enough cores on this worker" already
 *   implies "cores left to assign". Starting from coresLeft gives the same grants without
 *   summing every worker.
 * - Spark's first round visits every worker. Once fewer than one executor's cores are
 *   left to assign, or the executor limit is reached, no worker without an executor from
 *   this pass can receive anything, so the rest of the first round (and the unread
 *   workers) would grant nothing: reading stops there.
 */
export function scheduleExecutorsOnWorkers<W extends FreeCapacity>(
  demand: ExecutorDemand,
  workers: Iterable<W>,
  spreadOut: boolean,
): { workers: W[]; cores: number[] } {
  const coresPerExecutor = demand.profile.coresPerExecutor;
  const minCores = coresPerExecutor ?? 1;
  const onePerWorker = coresPerExecutor === undefined;
  const memoryMb = demand.profile.memoryMb;
  const required = Object.entries(demand.profile.resources);
  const { existingExecutors, executorLimit } = demand;

  const read: W[] = [];
  const cores: number[] = [];
  const executors: number[] = [];
  let toAssign = demand.coresLeft;
  let newExecutors = 0;

  const canLaunch = (i: number): boolean => {
    const w = read[i] as W;
    if (toAssign < minCores || w.cores - (cores[i] as number) < minCores) return false;
    const n = executors[i] as number;
    // Adding cores to this worker's one executor: memory and the limit are not re-checked.
    if (onePerWorker && n > 0) return true;
    if (w.memoryMb - n * memoryMb < memoryMb) return false;
    for (const [name, amount] of required) {
      if ((w.resources[name] ?? 0) - amount * n < amount) return false;
    }
    return newExecutors + existingExecutors < executorLimit;
  };

  const launchOn = (i: number): void => {
    while (canLaunch(i)) {
      toAssign -= minCores;
      cores[i] = (cores[i] as number) + minCores;
      if (!onePerWorker || executors[i] === 0) {
        executors[i] = (executors[i] as number) + 1;
        newExecutors++;
      }
      if (spreadOut) break; // one unit per worker per round
    }
  };

  for (const worker of workers) {
    if (toAssign < minCores || newExecutors + existingExecutors >= executorLimit) break;
    read.push(worker);
    cores.push(0);
    executors.push(0);
    launchOn(read.length - 1);
  }
  let free = read.map((_, i) => i).filter(canLaunch);
  while (free.length > 0) {
    for (const i of free) launchOn(i);
    free = free.filter(canLaunch);
  }
  return { workers: read, cores };
}

/** A worker's capacity while the pass runs: the pass's own scratch copy. */
interface WorkingWorker extends FreeCapacity {
  readonly worker: Worker;
  cores: number;
  memoryMb: number;
  resources: Record<string, number>;
  /** Free addresses per resource, sorted (Spark hands out the first ones). */
  readonly addresses: Record<string, string[]>;
  idle: boolean;
}

function workingCopy(worker: Worker): WorkingWorker {
  const addresses: Record<string, string[]> = {};
  const resources: Record<string, number> = {};
  for (const name of Object.keys(worker.resources)) {
    const free = freeAddresses(worker, name);
    addresses[name] = free;
    resources[name] = free.length;
  }
  return {
    worker,
    cores: worker.cores - worker.coresUsed,
    memoryMb: worker.memoryMb - worker.memoryUsedMb,
    resources,
    addresses,
    idle: worker.coresUsed === 0 && worker.memoryUsedMb === 0,
  };
}

function fits(w: WorkingWorker, cores: number, memoryMb: number, res: ResourceAmounts): boolean {
  if (w.cores < cores || w.memoryMb < memoryMb) return false;
  for (const [name, amount] of Object.entries(res)) {
    if ((w.resources[name] ?? 0) < amount) return false;
  }
  return true;
}

/** Takes capacity from the scratch copy, the first free addresses of each resource. */
function acquire(
  w: WorkingWorker,
  cores: number,
  memoryMb: number,
  res: ResourceAmounts,
): ResourceAddresses {
  w.cores -= cores;
  w.memoryMb -= memoryMb;
  w.idle = false;
  const taken: Record<string, string[]> = {};
  for (const [name, amount] of Object.entries(res)) {
    if (amount <= 0) continue;
    taken[name] = (w.addresses[name] as string[]).splice(0, amount);
    w.resources[name] = (w.resources[name] as number) - amount;
  }
  return taken;
}

const byId = (a: { worker: Worker }, b: { worker: Worker }): number =>
  a.worker.id < b.worker.id ? -1 : a.worker.id > b.worker.id ? 1 : 0;

/** Spark's sort for each policy, as "a comes before b" (spec §c.4 step 2). */
const POLICY_ORDER: Record<WorkerSelectionPolicy, (a: WorkingWorker, b: WorkingWorker) => boolean> =
  {
    // sortBy((coresFree, id)).reverse: most free cores first, ties by the larger id.
    CORES_FREE_DESC: (a, b) => a.cores > b.cores || (a.cores === b.cores && byId(a, b) > 0),
    CORES_FREE_ASC: (a, b) => a.cores < b.cores || (a.cores === b.cores && byId(a, b) < 0),
    MEMORY_FREE_DESC: (a, b) =>
      a.memoryMb > b.memoryMb || (a.memoryMb === b.memoryMb && byId(a, b) > 0),
    MEMORY_FREE_ASC: (a, b) =>
      a.memoryMb < b.memoryMb || (a.memoryMb === b.memoryMb && byId(a, b) < 0),
    WORKER_ID: (a, b) => byId(a, b) < 0,
  };

/** Under a descending policy, a top worker that lacks the key means every worker does. */
const POLICY_EXHAUSTED: Partial<
  Record<WorkerSelectionPolicy, (top: WorkingWorker, cores: number, memoryMb: number) => boolean>
> = {
  CORES_FREE_DESC: (top, cores) => top.cores < cores,
  MEMORY_FREE_DESC: (top, _cores, memoryMb) => top.memoryMb < memoryMb,
};

/** Fisher–Yates with the injected source of randomness. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const bySeq = (a: { seq: number }, b: { seq: number }): number => a.seq - b.seq;

function placeDrivers(
  cluster: Cluster,
  alive: WorkingWorker[],
  config: SchedulingConfig,
  random: () => number,
  warnings: string[],
): DriverLaunch[] {
  const launches: DriverLaunch[] = [];
  const active = Object.values(cluster.drivers).filter((d) => isDriverActive(d.state));
  const waiting = active.filter(isDriverWaiting).sort(bySeq);
  let running = active.length - waiting.length;

  const launch = (driver: Driver, w: WorkingWorker): void => {
    const { cores, memoryMb, resources } = driver.description;
    launches.push({
      driverId: driver.id,
      workerId: w.worker.id,
      workerHostPort: hostPort(w.worker),
      cores,
      memoryMb,
      resources: acquire(w, cores, memoryMb, resources),
    });
    running++;
  };
  const canLaunch = (w: WorkingWorker, d: Driver): boolean =>
    fits(w, d.description.cores, d.description.memoryMb, d.description.resources);

  if (config.spreadOutDrivers) {
    // Round-robin over the shuffled alive workers, one cursor shared by every driver.
    const order = shuffle([...alive], random);
    let cursor = 0;
    for (const driver of waiting) {
      let launched = false;
      let lastVisitedIdle = true;
      for (
        let visited = 0;
        visited < order.length && !launched && running < config.maxDrivers;
        visited++
      ) {
        const w = order[cursor] as WorkingWorker;
        lastVisitedIdle = w.idle;
        if (canLaunch(w, driver)) {
          launch(driver, w);
          launched = true;
        }
        cursor = (cursor + 1) % order.length;
      }
      if (!launched && lastVisitedIdle) {
        warnings.push(`Driver ${driver.id} requires more resource than any of Workers could have.`);
      }
    }
  } else {
    for (const driver of waiting) {
      if (running >= config.maxDrivers) continue;
      const w = alive.find((candidate) => canLaunch(candidate, driver));
      if (w) launch(driver, w);
    }
  }
  return launches;
}

/** An executor shape no worker could host: capacity only shrinks during a pass. */
interface Shape {
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAmounts;
}
const covers = (bigger: Shape, smaller: Shape): boolean =>
  bigger.cores >= smaller.cores &&
  bigger.memoryMb >= smaller.memoryMb &&
  Object.entries(smaller.resources).every(([name, n]) => (bigger.resources[name] ?? 0) >= n);

function placeExecutors(
  cluster: Cluster,
  alive: WorkingWorker[],
  config: SchedulingConfig,
  warnings: string[],
): ExecutorLaunch[] {
  const launches: ExecutorLaunch[] = [];
  const apps = Object.values(cluster.applications)
    .filter((a) => a.state === 'WAITING' || a.state === 'RUNNING')
    .sort(bySeq);
  if (apps.length === 0) return launches;

  const liveExecutors = new Map<string, number>(); // `${appId} ${rpId}` -> count
  const appsWithExecutors = new Set<string>();
  for (const e of Object.values(cluster.executors)) {
    if (!isExecutorLive(e.state)) continue;
    const key = `${e.appId} ${e.resourceProfileId}`;
    liveExecutors.set(key, (liveExecutors.get(key) ?? 0) + 1);
    appsWithExecutors.add(e.appId);
  }

  const before = POLICY_ORDER[config.workerSelectionPolicy];
  const exhausted = POLICY_EXHAUSTED[config.workerSelectionPolicy];
  const heap = new Heap(before, alive);
  const unplaceable: Shape[] = [];

  for (const app of apps) {
    let granted = app.coresGranted;
    let nextExecutorId = app.nextExecutorId;
    const profileIds = Object.values(app.resourceProfiles)
      .map((p) => p.id)
      .sort((a, b) => a - b);
    for (const rpId of profileIds) {
      const profile = app.resourceProfiles[String(rpId)] as ExecutorResources;
      const shape: Shape = {
        cores: profile.coresPerExecutor ?? 1,
        memoryMb: profile.memoryMb,
        resources: profile.resources,
      };
      const left = requestedCores(app, config.defaultCores) - granted;
      if (left < shape.cores) continue;

      // The usable workers (spec §c.4 step 2) in policy order, read from the heap on demand.
      const taken: WorkingWorker[] = [];
      let usableCount = 0;
      const known = unplaceable.some((s) => covers(shape, s));
      function* usable(): Generator<WorkingWorker> {
        if (known) return;
        for (let w = heap.pop(); w !== undefined; w = heap.pop()) {
          taken.push(w);
          if (exhausted?.(w, shape.cores, shape.memoryMb)) return;
          if (fits(w, shape.cores, shape.memoryMb, shape.resources)) {
            usableCount++;
            yield w;
          }
        }
      }
      const reader = usable();
      const grants = scheduleExecutorsOnWorkers(
        {
          coresLeft: left,
          profile,
          existingExecutors: liveExecutors.get(`${app.id} ${rpId}`) ?? 0,
          executorLimit: executorTarget(app, rpId),
        },
        reader,
        config.spreadOutApps,
      );
      const noUsableWorker = usableCount === 0 && reader.next().done === true;
      // Remember a shape no worker can host, so later applications skip the search.
      if (noUsableWorker && !known) unplaceable.push(shape);
      const hasExecutors = appsWithExecutors.has(app.id) || granted > app.coresGranted;
      if (noUsableWorker && apps.length === 1 && !hasExecutors) {
        warnings.push(`App ${app.id} requires more resource than any of Workers could have.`);
      }

      grants.workers.forEach((w, i) => {
        const assigned = grants.cores[i] as number;
        if (assigned <= 0) return;
        const count =
          profile.coresPerExecutor === undefined
            ? 1
            : Math.floor(assigned / profile.coresPerExecutor);
        const coresEach = profile.coresPerExecutor ?? assigned;
        for (let k = 0; k < count; k++) {
          launches.push({
            appId: app.id,
            executorId: nextExecutorId++,
            resourceProfileId: rpId,
            workerId: w.worker.id,
            workerHostPort: hostPort(w.worker),
            cores: coresEach,
            memoryMb: profile.memoryMb,
            resources: acquire(w, coresEach, profile.memoryMb, profile.resources),
          });
          granted += coresEach;
        }
      });
      for (const w of taken) heap.push(w);
    }
  }
  return launches;
}

/**
 * One scheduling pass (Spark's `schedule()`): waiting drivers on alive workers, then
 * executors. `random` (uniform in [0, 1)) shuffles the workers for spread-out drivers.
 */
export function schedule(
  cluster: Cluster,
  config: SchedulingConfig,
  random: () => number = Math.random,
): Plan {
  const alive = Object.values(cluster.workers)
    .filter((w) => w.state === 'ALIVE')
    .map(workingCopy)
    .sort(byId);
  const warnings: string[] = [];
  const drivers = placeDrivers(cluster, alive, config, random, warnings);
  const executors = placeExecutors(cluster, alive, config, warnings);
  return { drivers, executors, warnings };
}

/**
 * Spark's "requires more resource than any of Workers could have", for an active application
 * without executors when no ALIVE worker, even idle, could host one executor of its default
 * profile. Spark logs it only when that application is the only one and every worker is
 * busy; here it is kept on the application, where its status shows it. No ALIVE worker at
 * all (a pool scaled in to zero) is not a reason.
 */
export function applicationWarning(cluster: Cluster, app: Application): string | undefined {
  if (!isApplicationActive(app.state)) return undefined;
  const hasExecutors = Object.values(cluster.executors).some(
    (e) => e.appId === app.id && isExecutorLive(e.state),
  );
  const alive = Object.values(cluster.workers).filter((w) => w.state === 'ALIVE');
  if (hasExecutors || alive.length === 0) return undefined;
  const profile =
    app.resourceProfiles[String(DEFAULT_RESOURCE_PROFILE_ID)] ?? app.description.defaultProfile;
  const shape = {
    cores: profile.coresPerExecutor ?? 1,
    memoryMb: profile.memoryMb,
    resources: profile.resources,
  };
  const fitsSomewhere = alive.some((w) =>
    covers({ cores: w.cores, memoryMb: w.memoryMb, resources: countOf(w.resources) }, shape),
  );
  return fitsSomewhere
    ? undefined
    : `App ${app.id} requires more resource than any of Workers could have.`;
}

const countOf = (addresses: ResourceAddresses): ResourceAmounts =>
  Object.fromEntries(Object.entries(addresses).map(([name, a]) => [name, a.length]));
