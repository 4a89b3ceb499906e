// Core transitions stored through commitTransition: what is read back is what the core
// computed, duplicates change nothing, and each worker's desired state follows.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  assignedTo,
  checkWorkerTimeouts,
  decommissionWorker,
  driverStateChanged,
  executorStateChanged,
  finishApplication,
  killDriver,
  killExecutors,
  registerWorker,
  submitDriver,
  type Transition,
  workerLost,
} from '../../lib/core/lifecycle.js';
import {
  type Cluster,
  isApplicationActive,
  isDriverActive,
  isExecutorLive,
} from '../../lib/core/model.js';
import { type LoadedCluster, loadActiveCluster, putRecords } from '../../lib/store/cluster.js';
import { commitTransition } from '../../lib/store/commit-transition.js';
import { assignmentKey, driverAssignment, executorAssignment } from '../../lib/store/layout.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { readWorker } from '../../lib/store/workers.js';
import { aDriver, busyCluster, ctx } from '../unit/core/fixtures.js';
import { localClientConfig, uniqueName } from './aws.js';
import { violations } from './invariants.js';

let table: Table;

beforeEach(async () => {
  table = openTable(uniqueName('sparkplane'), localClientConfig());
  await ensureTable(table);
  const c = busyCluster();
  await putRecords(table, {
    workers: Object.values(c.workers),
    applications: Object.values(c.applications),
    executors: Object.values(c.executors),
    drivers: [...Object.values(c.drivers), aDriver({ id: 'driver-waiting', seq: 5 })],
  });
});

/** The part of a cluster the active partitions hold. */
function active(c: Cluster): Cluster {
  const pick = <T>(r: Readonly<Record<string, T>>, keep: (x: T) => boolean) =>
    Object.fromEntries(Object.entries(r).filter(([, x]) => keep(x)));
  return {
    workers: c.workers,
    drivers: pick(c.drivers, (d) => isDriverActive(d.state)),
    applications: pick(c.applications, (a) => isApplicationActive(a.state)),
    executors: pick(c.executors, (e) => isExecutorLive(e.state) || e.state === 'DECOMMISSIONED'),
  };
}

async function storeStep(event: (c: Cluster) => Transition): Promise<{
  loaded: LoadedCluster;
  next: Cluster;
}> {
  const loaded = await loadActiveCluster(table);
  const next = event(loaded.cluster).cluster;
  expect(await commitTransition(table, loaded, next)).toBe(true);
  const after = await loadActiveCluster(table);
  expect(after.cluster).toEqual(active(next));
  expect(violations(after.cluster)).toEqual([]);
  for (const id of Object.keys(after.cluster.workers)) {
    const { executors, drivers } = assignedTo(after.cluster, id);
    const expected = [...executors.map(executorAssignment), ...drivers.map(driverAssignment)].sort(
      (a, b) => (assignmentKey(a) < assignmentKey(b) ? -1 : 1),
    );
    expect((await readWorker(table, id))?.assigned).toEqual(expected);
  }
  return { loaded, next };
}

describe('storing core transitions', () => {
  it.each([
    [
      'an executor exits',
      (c: Cluster) =>
        executorStateChanged(
          c,
          { appId: 'app-1', executorId: 1, state: 'EXITED', exitStatus: 1 },
          { maxExecutorRetries: 10 },
          5,
        ),
    ],
    ['executors are killed', (c: Cluster) => killExecutors(c, 'app-1', ['0', '1'])],
    ['the application finishes', (c: Cluster) => finishApplication(c, 'app-1', 'FINISHED', 5)],
    ['a worker is lost', (c: Cluster) => workerLost(c, 'w1', 'gone', ctx(5))],
    [
      'workers time out',
      (c: Cluster) =>
        checkWorkerTimeouts(c, { workerTimeoutSec: 60, deadWorkerPersistence: 15 }, ctx(999_999)),
    ],
    ['a worker is decommissioned', (c: Cluster) => decommissionWorker(c, 'w1')],
    ['a waiting driver is killed', (c: Cluster) => killDriver(c, 'driver-waiting', 5)],
    [
      'a driver finishes',
      (c: Cluster) => driverStateChanged(c, { driverId: 'driver-1', state: 'FINISHED' }, 5),
    ],
    [
      'a driver is submitted',
      (c: Cluster) =>
        submitDriver(c, { id: 'driver-new', seq: 9 }, aDriver({ id: 'x' }).description, 5),
    ],
    [
      'a worker registers',
      (c: Cluster) =>
        registerWorker(
          c,
          {
            id: 'w9',
            host: 'h9',
            port: 1,
            cores: 4,
            memoryMb: 4096,
            webUiUrl: '',
            resources: { gpu: ['0'] },
          },
          ctx(5),
        ),
    ],
  ])('%s', async (_name, event) => {
    await storeStep(event);
  });

  it('a duplicate of a stored transition is refused and changes nothing', async () => {
    const exit = (c: Cluster) =>
      executorStateChanged(
        c,
        { appId: 'app-1', executorId: 0, state: 'FAILED', exitStatus: 1 },
        { maxExecutorRetries: 10 },
        5,
      );
    const { loaded, next } = await storeStep(exit);
    const once = await loadActiveCluster(table);
    // The same change computed from the same (now stale) read.
    expect(await commitTransition(table, loaded, next)).toBe(false);
    expect((await loadActiveCluster(table)).cluster).toEqual(once.cluster);
    // Recomputed from a fresh read, the duplicate report is ignored by the core itself.
    const again = exit(once.cluster);
    expect(again.cluster).toBe(once.cluster);
  });
});
