// The elastic worker pool's decisions. Spark's standalone cluster has the workers it has;
// sparkplane starts workers when drivers or applications wait for room, and stops idle
// ones. Both are pure: the shell records the decision, then calls ECS (or the local
// launcher).

import { applyPlan } from './lifecycle.js';
import { type Cluster, isDriverActive, isExecutorLive, type Worker } from './model.js';
import { type SchedulingConfig, schedule } from './schedule.js';

export interface PoolSettings {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** What one started worker offers (the task size). */
  readonly workerCores: number;
  readonly workerMemoryMb: number;
  /** How long an ALIVE worker with nothing to run is kept before it is stopped. */
  readonly idleTimeoutMs: number;
}

/** A deterministic source for the simulated pass: the decision must not flicker. */
function seeded(): () => number {
  let a = 1;
  return () => {
    a = (a * 16_807) % 2_147_483_647;
    return (a - 1) / 2_147_483_646;
  };
}

const VIRTUAL = 'pool-virtual-';

/**
 * How many workers to start now. What fits on the listed workers is placed first (a real
 * pass); then a pass is simulated with every worker that may still come (those being
 * started, and up to the maximum) added empty, packing placements (Spark's consolidate
 * mode) so that it uses as few of them as it can. The workers it uses beyond those
 * already being started are the ones to start.
 */
export function workersToStart(
  cluster: Cluster,
  config: SchedulingConfig,
  pool: PoolSettings,
  pending: number,
): number {
  const listed = Object.values(cluster.workers).filter((w) => w.state !== 'DEAD').length;
  const room = Math.max(0, pool.maxWorkers - listed - pending);
  // Below the minimum, start up to it whatever waits.
  const belowMin = Math.max(0, pool.minWorkers - listed - pending);
  if (pending + room === 0) return belowMin;
  // A simulation: when the placements would start does not matter.
  const placed = applyPlan(cluster, schedule(cluster, config, seeded()), 0).cluster;
  const workers: Record<string, Worker> = { ...placed.workers };
  for (let i = 0; i < pending + room; i++) {
    const id = `${VIRTUAL}${String(i).padStart(6, '0')}`;
    workers[id] = {
      id,
      host: id,
      port: 0,
      webUiUrl: '',
      cores: pool.workerCores,
      memoryMb: pool.workerMemoryMb,
      resources: {},
      coresUsed: 0,
      memoryUsedMb: 0,
      resourcesUsed: {},
      state: 'ALIVE',
      lastHeartbeatMs: 0,
    };
  }
  const plan = schedule(
    { ...placed, workers },
    { ...config, spreadOutApps: false, spreadOutDrivers: false },
    seeded(),
  );
  const used = new Set(
    [...plan.drivers, ...plan.executors]
      .map((p) => p.workerId)
      .filter((id) => id.startsWith(VIRTUAL)),
  );
  return Math.max(belowMin, used.size - pending);
}

/** Whether anything runs on a worker: executors (live or decommissioned) or drivers. */
export function isBusy(cluster: Cluster, workerId: string): boolean {
  return (
    Object.values(cluster.executors).some(
      (e) => e.workerId === workerId && (isExecutorLive(e.state) || e.state === 'DECOMMISSIONED'),
    ) ||
    Object.values(cluster.drivers).some((d) => d.workerId === workerId && isDriverActive(d.state))
  );
}

/**
 * Workers to stop: ALIVE, idle for longer than the timeout (`idleSinceMs` says since when a
 * worker has had nothing to run), the longest idle first, never below the minimum.
 */
export function workersToStop(
  cluster: Cluster,
  pool: PoolSettings,
  idleSinceMs: (workerId: string) => number,
  now: number,
): string[] {
  const alive = Object.values(cluster.workers).filter((w) => w.state === 'ALIVE');
  const idle = alive
    .filter((w) => !isBusy(cluster, w.id) && now - idleSinceMs(w.id) > pool.idleTimeoutMs)
    .sort((a, b) => idleSinceMs(a.id) - idleSinceMs(b.id) || (a.id < b.id ? -1 : 1));
  return idle.slice(0, Math.max(0, alive.length - pool.minWorkers)).map((w) => w.id);
}
