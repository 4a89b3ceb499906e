// A deliberately literal restatement of Spark's Master.schedule() (spec §c.2–§c.6):
// filter, sort, sum and loop over every worker exactly as Master.scala does, with no
// data structure cleverness. The property test checks lib/core/schedule.ts against it.

import {
  type Cluster,
  type ExecutorResources,
  executorTarget,
  freeAddresses,
  hostPort,
  isDriverActive,
  isDriverWaiting,
  isExecutorLive,
  type Worker,
} from '../../../lib/core/model.js';
import type { DriverLaunch, ExecutorLaunch, SchedulingConfig } from '../../../lib/core/schedule.js';

interface MutableWorker {
  readonly w: Worker;
  coresFree: number;
  memoryFree: number;
  addrs: Record<string, string[]>;
}

const amountFree = (m: MutableWorker, name: string) => m.addrs[name]?.length ?? 0;

function canLaunch(
  m: MutableWorker,
  mem: number,
  cores: number,
  res: Readonly<Record<string, number>>,
) {
  return (
    m.memoryFree >= mem &&
    m.coresFree >= cores &&
    Object.entries(res).every(([n, a]) => amountFree(m, n) >= a)
  );
}

function take(m: MutableWorker, cores: number, mem: number, res: Readonly<Record<string, number>>) {
  m.coresFree -= cores;
  m.memoryFree -= mem;
  const out: Record<string, string[]> = {};
  for (const [n, a] of Object.entries(res)) {
    if (a <= 0) continue;
    const sorted = [...(m.addrs[n] ?? [])].sort();
    out[n] = sorted.slice(0, a);
    m.addrs[n] = sorted.slice(a);
  }
  return out;
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

export function referenceSchedule(
  cluster: Cluster,
  config: SchedulingConfig,
  random: () => number,
): { drivers: DriverLaunch[]; executors: ExecutorLaunch[] } {
  const alive: MutableWorker[] = Object.values(cluster.workers)
    .filter((w) => w.state === 'ALIVE')
    .sort((a, b) => cmp(a.id, b.id))
    .map((w) => ({
      w,
      coresFree: w.cores - w.coresUsed,
      memoryFree: w.memoryMb - w.memoryUsedMb,
      addrs: Object.fromEntries(Object.keys(w.resources).map((n) => [n, freeAddresses(w, n)])),
    }));

  // Drivers first.
  const drivers: DriverLaunch[] = [];
  const active = Object.values(cluster.drivers).filter((d) => isDriverActive(d.state));
  const waiting = active.filter(isDriverWaiting).sort((a, b) => a.seq - b.seq);
  let running = active.length - waiting.length;
  const launchDriver = (m: MutableWorker, d: (typeof waiting)[number]) => {
    const { cores, memoryMb, resources } = d.description;
    drivers.push({
      driverId: d.id,
      workerId: m.w.id,
      workerHostPort: hostPort(m.w),
      cores,
      memoryMb,
      resources: take(m, cores, memoryMb, resources),
    });
    running++;
  };
  if (config.spreadOutDrivers) {
    const shuffled = [...alive];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] as MutableWorker, shuffled[i] as MutableWorker];
    }
    const n = shuffled.length;
    let curPos = 0;
    for (const d of waiting) {
      let launched = false;
      let visited = 0;
      while (visited < n && !launched && running < config.maxDrivers) {
        const m = shuffled[curPos] as MutableWorker;
        visited++;
        if (canLaunch(m, d.description.memoryMb, d.description.cores, d.description.resources)) {
          launchDriver(m, d);
          launched = true;
        }
        curPos = (curPos + 1) % n;
      }
    }
  } else {
    for (const d of waiting) {
      if (running < config.maxDrivers) {
        const m = alive.find((x) =>
          canLaunch(x, d.description.memoryMb, d.description.cores, d.description.resources),
        );
        if (m) launchDriver(m, d);
      }
    }
  }

  // Then executors: apps FIFO, profiles by id.
  const executors: ExecutorLaunch[] = [];
  const apps = Object.values(cluster.applications)
    .filter((a) => a.state === 'WAITING' || a.state === 'RUNNING')
    .sort((a, b) => a.seq - b.seq);
  for (const app of apps) {
    let coresGranted = app.coresGranted;
    let nextId = app.nextExecutorId;
    const requested = app.description.maxCores ?? config.defaultCores;
    const rpIds = Object.values(app.resourceProfiles)
      .map((p) => p.id)
      .sort((a, b) => a - b);
    for (const rpId of rpIds) {
      const rp = app.resourceProfiles[String(rpId)] as ExecutorResources;
      const minCores = rp.coresPerExecutor ?? 1;
      if (requested - coresGranted < minCores) continue;
      let usable = alive.filter((m) => canLaunch(m, rp.memoryMb, minCores, rp.resources));
      const key = (m: MutableWorker): number =>
        config.workerSelectionPolicy.startsWith('CORES') ? m.coresFree : m.memoryFree;
      if (config.workerSelectionPolicy === 'WORKER_ID') {
        usable = usable.sort((a, b) => cmp(a.w.id, b.w.id));
      } else {
        usable = usable.sort((a, b) => cmp(key(a), key(b)) || cmp(a.w.id, b.w.id));
        if (config.workerSelectionPolicy.endsWith('DESC')) usable.reverse();
      }

      // scheduleExecutorsOnWorkers, literally.
      const oneExecutorPerWorker = rp.coresPerExecutor === undefined;
      const assignedCores = usable.map(() => 0);
      const assignedExecutors = usable.map(() => 0);
      let coresToAssign = Math.min(
        requested - coresGranted,
        usable.reduce((s, m) => s + m.coresFree, 0),
      );
      const existing = Object.values(cluster.executors).filter(
        (e) => e.appId === app.id && e.resourceProfileId === rpId && isExecutorLive(e.state),
      ).length;
      const limit = executorTarget(app, rpId);
      const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
      const canLaunchExecutorForApp = (pos: number): boolean => {
        const m = usable[pos] as MutableWorker;
        const keepScheduling = coresToAssign >= minCores;
        const enoughCores = m.coresFree - (assignedCores[pos] as number) >= minCores;
        const assignedExecutorNum = assignedExecutors[pos] as number;
        const launchingNewExecutor = !oneExecutorPerWorker || assignedExecutorNum === 0;
        if (launchingNewExecutor) {
          const enoughMemory = m.memoryFree - assignedExecutorNum * rp.memoryMb >= rp.memoryMb;
          const enoughResources = Object.entries(rp.resources).every(
            ([n, a]) => amountFree(m, n) - a * assignedExecutorNum >= a,
          );
          const underLimit = sum(assignedExecutors) + existing < limit;
          return keepScheduling && enoughCores && enoughMemory && enoughResources && underLimit;
        }
        return keepScheduling && enoughCores;
      };
      let freeWorkers = usable.map((_, i) => i).filter(canLaunchExecutorForApp);
      while (freeWorkers.length > 0) {
        for (const pos of freeWorkers) {
          let keepScheduling = true;
          while (keepScheduling && canLaunchExecutorForApp(pos)) {
            coresToAssign -= minCores;
            assignedCores[pos] = (assignedCores[pos] as number) + minCores;
            if (oneExecutorPerWorker) assignedExecutors[pos] = 1;
            else assignedExecutors[pos] = (assignedExecutors[pos] as number) + 1;
            if (config.spreadOutApps) keepScheduling = false;
          }
        }
        freeWorkers = freeWorkers.filter(canLaunchExecutorForApp);
      }

      // allocateWorkerResourceToExecutors.
      usable.forEach((m, pos) => {
        const assigned = assignedCores[pos] as number;
        if (assigned <= 0) return;
        const count =
          rp.coresPerExecutor === undefined ? 1 : Math.floor(assigned / rp.coresPerExecutor);
        const coresEach = rp.coresPerExecutor ?? assigned;
        for (let i = 0; i < count; i++) {
          executors.push({
            appId: app.id,
            executorId: nextId++,
            resourceProfileId: rpId,
            workerId: m.w.id,
            workerHostPort: hostPort(m.w),
            cores: coresEach,
            memoryMb: rp.memoryMb,
            resources: take(m, coresEach, rp.memoryMb, rp.resources),
          });
          coresGranted += coresEach;
        }
      });
    }
  }
  return { drivers, executors };
}
