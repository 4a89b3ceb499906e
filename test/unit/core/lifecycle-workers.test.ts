// Worker lifecycle (spec §b WorkerState, §d) and retention (§e).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignedTo,
  checkWorkerTimeouts,
  clearCompleted,
  decommissionWorker,
  decommissionWorkersOnHosts,
  executorStateChanged,
  registerWorker,
  retainedCount,
  trimRetention,
  workerHeartbeat,
  workerLatestState,
  workerLost,
  workerUnknown,
} from '../../../lib/core/lifecycle.js';
import type { Cluster, Worker } from '../../../lib/core/model.js';
import { aDriver, anApp, anExecutor, aWorker, busyCluster, clusterOf, ctx } from './fixtures.js';

const registration = {
  id: 'worker-20231109183042-10.0.0.5-39729',
  host: '10.0.0.5',
  port: 39729,
  cores: 4,
  memoryMb: 4096,
  webUiUrl: 'http://10.0.0.5:8081',
  resources: { gpu: ['0', '1'] },
};

describe('§d.1 registration', () => {
  it('a new worker is ALIVE with nothing used, and a pass runs', () => {
    const t = registerWorker(clusterOf({}), registration, ctx(1000));
    expect(t.outcome).toEqual({ kind: 'registered' });
    expect(t.cluster.workers[registration.id]).toEqual({
      ...registration,
      coresUsed: 0,
      memoryUsedMb: 0,
      resourcesUsed: {},
      state: 'ALIVE',
      lastHeartbeatMs: 1000,
      stateSeq: 1,
    });
    expect(t.effects).toEqual([{ type: 'Schedule' }]);
  });

  it('the same id again is a duplicate: no pass, nothing changes', () => {
    const once = registerWorker(clusterOf({}), registration, ctx(1000));
    const twice = registerWorker(once.cluster, registration, ctx(2000));
    expect(twice.outcome).toEqual({ kind: 'duplicate' });
    expect(twice.cluster).toBe(once.cluster);
    expect(twice.effects).toEqual([]);
  });

  it('SPARK-46346: a duplicate registration of an UNKNOWN worker makes it ALIVE', () => {
    const cluster = clusterOf({ workers: [aWorker({ id: registration.id, state: 'UNKNOWN' })] });
    const t = registerWorker(cluster, registration, ctx(1000));
    expect(t.outcome).toEqual({ kind: 'duplicate' });
    expect(t.cluster.workers[registration.id]?.state).toBe('ALIVE');
  });

  it('a live worker at the same address makes the registration fail', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'older', host: '10.0.0.5', port: 39729 })],
    });
    const t = registerWorker(cluster, registration, ctx(1000));
    expect(t.outcome).toEqual({
      kind: 'failed',
      message: 'Attempted to re-register worker at same address: 10.0.0.5:39729',
    });
    expect(t.cluster).toBe(cluster);
  });

  it('Appendix B.10: DEAD entries at the address are dropped, even when registration fails', () => {
    const cluster = clusterOf({
      workers: [
        aWorker({ id: 'dead-1', host: '10.0.0.5', port: 39729, state: 'DEAD' }),
        aWorker({ id: 'live', host: '10.0.0.5', port: 39729, state: 'DECOMMISSIONED' }),
        aWorker({ id: 'dead-elsewhere', host: '10.0.0.6', port: 39729, state: 'DEAD' }),
      ],
    });
    const t = registerWorker(cluster, registration, ctx(1000));
    expect(t.outcome.kind).toBe('failed');
    expect(Object.keys(t.cluster.workers).sort()).toEqual(['dead-elsewhere', 'live']);
  });

  it('an UNKNOWN worker at the same address is replaced by the new one', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'recovered', host: '10.0.0.5', port: 39729, state: 'UNKNOWN' })],
      applications: [anApp({ id: 'app-1', coresGranted: 2 })],
      executors: [anExecutor({ appId: 'app-1', id: 0, workerId: 'recovered' })],
    });
    const t = registerWorker(cluster, registration, ctx(1000));
    expect(t.outcome).toEqual({ kind: 'registered' });
    expect(t.cluster.workers.recovered?.state).toBe('DEAD');
    expect(t.cluster.executors['app-1/0']).toMatchObject({
      state: 'LOST',
      message: 'worker lost: Worker replaced by a new worker with same address',
    });
    expect(t.cluster.workers[registration.id]?.state).toBe('ALIVE');
  });

  it('a restart on the same state makes a live worker UNKNOWN (§g), and only a live one', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1' }), aWorker({ id: 'w2', state: 'DECOMMISSIONED' })],
    });
    expect(workerUnknown(cluster, 'w1').cluster.workers.w1?.state).toBe('UNKNOWN');
    expect(workerUnknown(cluster, 'w2').cluster.workers.w2?.state).toBe('DECOMMISSIONED');
    expect(workerUnknown(cluster, 'nobody').cluster).toEqual(cluster);
  });
});

describe('§d.1 heartbeats and WorkerLatestState', () => {
  it('a heartbeat refreshes a registered worker', () => {
    const t = workerHeartbeat(busyCluster(), 'w1', 4242);
    expect(t.reconnect).toBe(false);
    expect(t.cluster.workers.w1?.lastHeartbeatMs).toBe(4242);
  });

  it('a DEAD or unknown worker is told to register again', () => {
    const cluster = clusterOf({ workers: [aWorker({ id: 'w1', state: 'DEAD' })] });
    for (const id of ['w1', 'never-seen']) {
      const t = workerHeartbeat(cluster, id, 4242);
      expect(t.reconnect).toBe(true);
      expect(t.cluster).toBe(cluster);
    }
  });

  it('what a worker runs that the master did not place there is killed', () => {
    const base = busyCluster();
    const cluster: Cluster = {
      ...base,
      executors: {
        ...base.executors,
        'app-1/5': anExecutor({ appId: 'app-1', id: 5, workerId: 'w1', state: 'DECOMMISSIONED' }),
      },
    };
    const t = workerLatestState(cluster, 'w1', {
      executors: [
        { appId: 'app-1', executorId: 0 },
        { appId: 'app-1', executorId: 5 },
        { appId: 'app-1', executorId: 7 },
        { appId: 'app-2', executorId: 0 },
      ],
      driverIds: ['driver-1', 'driver-2'],
    });
    expect(t.effects).toEqual([
      { type: 'KillExecutor', workerId: 'w1', appId: 'app-1', executorId: 7 },
      { type: 'KillExecutor', workerId: 'w1', appId: 'app-2', executorId: 0 },
      { type: 'KillDriver', workerId: 'w1', driverId: 'driver-2' },
    ]);
    expect(t.cluster).toBe(cluster);
  });

  it('the desired state of a worker is its live executors and active drivers', () => {
    const desired = assignedTo(busyCluster(), 'w1');
    expect(desired.executors.map((e) => e.id)).toEqual([0, 1]);
    expect(desired.drivers.map((d) => d.id)).toEqual(['driver-1']);
    expect(assignedTo(busyCluster(), 'w2')).toEqual({ executors: [], drivers: [] });
  });
});

describe('§d.2 timeouts (T = 60 s, P = 15)', () => {
  const config = { workerTimeoutSec: 60, deadWorkerPersistence: 15 };
  const at = (lastHeartbeatMs: number, state: Worker['state'] = 'ALIVE') =>
    clusterOf({
      workers: [aWorker({ id: 'w1', lastHeartbeatMs, state })],
      applications: [anApp({ id: 'app-1', coresGranted: 2 })],
      executors: [anExecutor({ appId: 'app-1', id: 0, workerId: 'w1' })],
    });

  it('a worker silent for exactly T is not timed out', () => {
    const cluster = at(0);
    expect(checkWorkerTimeouts(cluster, config, ctx(60_000)).cluster).toBe(cluster);
  });

  it('a worker silent for longer than T is lost: DEAD, its executors LOST', () => {
    const t = checkWorkerTimeouts(at(0), config, ctx(60_001));
    expect(t.cluster.workers.w1?.state).toBe('DEAD');
    expect(t.cluster.executors['app-1/0']).toMatchObject({
      state: 'LOST',
      message: 'worker lost: Not receiving heartbeat for 60 seconds',
    });
    expect(t.cluster.applications['app-1']?.coresGranted).toBe(0);
    expect(t.effects).toEqual([{ type: 'Schedule' }]);
  });

  it('a DEAD worker stays listed until (P+1)·T after its last heartbeat', () => {
    const dead = at(0, 'DEAD');
    expect(checkWorkerTimeouts(dead, config, ctx(959_000)).cluster.workers.w1).toBeDefined();
    expect(checkWorkerTimeouts(dead, config, ctx(960_000)).cluster.workers.w1).toBeDefined();
    expect(checkWorkerTimeouts(dead, config, ctx(961_000)).cluster.workers.w1).toBeUndefined();
  });

  it('workerLost is idempotent', () => {
    const once = workerLost(busyCluster(), 'w1', 'gone', ctx(1));
    const twice = workerLost(once.cluster, 'w1', 'gone', ctx(2));
    expect(twice.cluster).toBe(once.cluster);
    expect(twice.effects).toEqual([]);
  });
});

describe('§d.4 decommissioning', () => {
  it('the worker takes no more work; its executors leave their applications; no pass', () => {
    const t = decommissionWorker(busyCluster(), 'w1');
    expect(t.cluster.workers.w1?.state).toBe('DECOMMISSIONED');
    for (const id of [0, 1]) {
      expect(t.cluster.executors[`app-1/${id}`]).toMatchObject({
        state: 'DECOMMISSIONED',
        message: 'worker decommissioned',
      });
    }
    expect(t.cluster.applications['app-1']?.coresGranted).toBe(0);
    // The executors still run there, so the worker's capacity stays used.
    expect(t.cluster.workers.w1?.coresUsed).toBe(5);
    expect(t.effects).toEqual([]);
  });

  it('is idempotent, and does nothing to DEAD or unknown workers', () => {
    const once = decommissionWorker(busyCluster(), 'w1');
    expect(decommissionWorker(once.cluster, 'w1').cluster).toBe(once.cluster);
    const dead = clusterOf({ workers: [aWorker({ id: 'w1', state: 'DEAD' })] });
    expect(decommissionWorker(dead, 'w1').cluster).toBe(dead);
    expect(decommissionWorker(dead, 'nope').cluster).toBe(dead);
  });

  it('later reports of decommissioned executors do not count toward retries', () => {
    const once = decommissionWorker(busyCluster(), 'w1');
    const t = executorStateChanged(
      once.cluster,
      { appId: 'app-1', executorId: 0, state: 'FAILED', exitStatus: 1 },
      { maxExecutorRetries: 1 },
      0,
    );
    expect(t.outcome).toBe('unknown');
    expect(t.cluster.applications['app-1']).toMatchObject({ state: 'RUNNING', retryCount: 0 });
  });

  it('decommissioning by host matches case-insensitively and counts the workers', () => {
    const cluster = clusterOf({
      workers: [
        aWorker({ id: 'a', host: 'Node-1' }),
        aWorker({ id: 'b', host: 'node-1', port: 7079 }),
        aWorker({ id: 'c', host: 'node-2' }),
        aWorker({ id: 'd', host: 'node-1', port: 7080, state: 'DEAD' }),
      ],
    });
    const t = decommissionWorkersOnHosts(cluster, ['NODE-1']);
    expect(t.count).toBe(2);
    expect(t.cluster.workers.a?.state).toBe('DECOMMISSIONED');
    expect(t.cluster.workers.b?.state).toBe('DECOMMISSIONED');
    expect(t.cluster.workers.c?.state).toBe('ALIVE');
    expect(t.effects).toEqual([
      { type: 'DecommissionWorker', workerId: 'a' },
      { type: 'DecommissionWorker', workerId: 'b' },
    ]);
  });
});

describe('§e retention', () => {
  /** Spark's ArrayBuffer: before appending, a full list drops its oldest max(r/10, 1). */
  function sparkRetained(n: number, retained: number): number {
    const list: number[] = [];
    for (let i = 0; i < n; i++) {
      if (list.length >= retained) list.splice(0, Math.max(Math.floor(retained / 10), 1));
      list.push(i);
    }
    return list.length;
  }

  it('keeps as many completed entries as Spark would', () => {
    fc.assert(
      fc.property(fc.nat(2000), fc.nat(300), (n, retained) => {
        expect(retainedCount(n, retained)).toBe(sparkRetained(n, retained));
      }),
    );
    expect(retainedCount(200, 200)).toBe(200);
    expect(retainedCount(201, 200)).toBe(181);
  });

  it('forgets the oldest completed applications (with their executors) and drivers', () => {
    const cluster = clusterOf({
      applications: [
        anApp({ id: 'old', state: 'FINISHED', endTimeMs: 1, seq: 0 }),
        anApp({ id: 'new', state: 'FAILED', endTimeMs: 2, seq: 1 }),
        anApp({ id: 'active', state: 'RUNNING', seq: 2 }),
      ],
      executors: [
        anExecutor({ appId: 'old', id: 0, workerId: 'w1', state: 'KILLED' }),
        anExecutor({ appId: 'active', id: 0, workerId: 'w1' }),
      ],
      drivers: [
        aDriver({ id: 'd-old', state: 'FINISHED', endTimeMs: 5, seq: 0 }),
        aDriver({ id: 'd-new', state: 'ERROR', endTimeMs: 6, seq: 1 }),
        aDriver({ id: 'd-waiting', seq: 2 }),
      ],
    });
    const t = trimRetention(cluster, { retainedApplications: 1, retainedDrivers: 1 });
    expect(Object.keys(t.cluster.applications).sort()).toEqual(['active', 'new']);
    expect(Object.keys(t.cluster.executors)).toEqual(['active/0']);
    expect(Object.keys(t.cluster.drivers).sort()).toEqual(['d-new', 'd-waiting']);
    expect(trimRetention(cluster, { retainedApplications: 5, retainedDrivers: 5 }).cluster).toBe(
      cluster,
    );
  });

  it('clear forgets every completed application and driver, keeps active ones', () => {
    const cluster = clusterOf({
      applications: [anApp({ id: 'done', state: 'KILLED' }), anApp({ id: 'active' })],
      drivers: [aDriver({ id: 'd-done', state: 'RELAUNCHING' }), aDriver({ id: 'd-active' })],
    });
    const t = clearCompleted(cluster);
    expect(Object.keys(t.cluster.applications)).toEqual(['active']);
    expect(Object.keys(t.cluster.drivers)).toEqual(['d-active']);
  });
});

describe('structural sharing', () => {
  it('a transition shares every record it did not touch', () => {
    const before = busyCluster();
    const t = workerHeartbeat(before, 'w1', 99);
    expect(t.cluster.workers.w2).toBe(before.workers.w2);
    expect(t.cluster.applications).toBe(before.applications);
    expect(t.cluster.executors).toBe(before.executors);
    expect(t.cluster.drivers).toBe(before.drivers);
  });
});
