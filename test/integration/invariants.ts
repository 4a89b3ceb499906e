// The invariants every crash, duplicate and race must preserve (DESIGN.md).
import { type Cluster, isDriverActive, isExecutorLive } from '../../lib/core/model.js';

/** Returns the violated invariants; empty when the cluster is sound. */
export function violations(cluster: Cluster): string[] {
  const found: string[] = [];
  for (const w of Object.values(cluster.workers)) {
    if (w.coresUsed > w.cores) found.push(`${w.id}: ${w.coresUsed} cores used of ${w.cores}`);
    if (w.memoryUsedMb > w.memoryMb) {
      found.push(`${w.id}: ${w.memoryUsedMb} MB used of ${w.memoryMb}`);
    }
    if (w.state === 'DEAD') continue; // Spark keeps a dead worker's books as they were
    const executors = Object.values(cluster.executors).filter(
      (e) => e.workerId === w.id && (isExecutorLive(e.state) || e.state === 'DECOMMISSIONED'),
    );
    const drivers = Object.values(cluster.drivers).filter(
      (d) => d.workerId === w.id && isDriverActive(d.state),
    );
    const cores =
      executors.reduce((s, e) => s + e.cores, 0) +
      drivers.reduce((s, d) => s + d.description.cores, 0);
    const memory =
      executors.reduce((s, e) => s + e.memoryMb, 0) +
      drivers.reduce((s, d) => s + d.description.memoryMb, 0);
    if (cores !== w.coresUsed) found.push(`${w.id}: coresUsed ${w.coresUsed} != placed ${cores}`);
    if (memory !== w.memoryUsedMb) {
      found.push(`${w.id}: memoryUsedMb ${w.memoryUsedMb} != placed ${memory}`);
    }
    const held = [...executors, ...drivers].flatMap((x) =>
      Object.entries(x.resources).flatMap(([name, addrs]) => addrs.map((a) => `${name}:${a}`)),
    );
    if (new Set(held).size !== held.length) found.push(`${w.id}: an address is held twice`);
    const used = Object.entries(w.resourcesUsed).flatMap(([name, addrs]) =>
      addrs.map((a) => `${name}:${a}`),
    );
    if ([...held].sort().join() !== [...used].sort().join()) {
      found.push(`${w.id}: resourcesUsed ${used} != held ${held}`);
    }
  }
  for (const app of Object.values(cluster.applications)) {
    if (app.state !== 'WAITING' && app.state !== 'RUNNING') continue;
    const live = Object.values(cluster.executors).filter(
      (e) => e.appId === app.id && isExecutorLive(e.state),
    );
    const granted = live.reduce((s, e) => s + e.cores, 0);
    if (granted !== app.coresGranted) {
      found.push(`${app.id}: coresGranted ${app.coresGranted} != live ${granted}`);
    }
    const maxId = Math.max(
      -1,
      ...Object.values(cluster.executors)
        .filter((e) => e.appId === app.id)
        .map((e) => e.id),
    );
    if (app.nextExecutorId <= maxId) {
      found.push(`${app.id}: nextExecutorId ${app.nextExecutorId} would reuse ${maxId}`);
    }
  }
  return found;
}
