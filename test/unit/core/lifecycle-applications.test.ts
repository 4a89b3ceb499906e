// Application and executor lifecycle (spec §b ApplicationState/ExecutorState, §e).
import { describe, expect, it } from 'vitest';
import {
  applyPlan,
  executorStateChanged,
  finishApplication,
  killExecutors,
  registerApplication,
  requestExecutors,
} from '../../../lib/core/lifecycle.js';
import { type Cluster, INT_MAX } from '../../../lib/core/model.js';
import { anApp, anExecutor, aWorker, busyCluster, clusterOf } from './fixtures.js';

const retries = { maxExecutorRetries: 10 };
const description = anApp({ id: 'x' }).description;

describe('§e registration', () => {
  it('a registered application is WAITING with its default profile and target', () => {
    const t = registerApplication(clusterOf({}), { id: 'app-1', seq: 3 }, description, 1000);
    expect(t.tracked).toBe(true);
    expect(t.cluster.applications['app-1']).toEqual({
      id: 'app-1',
      seq: 3,
      submitTimeMs: 1000,
      description,
      state: 'WAITING',
      resourceProfiles: { 0: { id: 0, ...description.defaultProfile } },
      executorTargets: { 0: INT_MAX },
      coresGranted: 0,
      retryCount: 0,
      nextExecutorId: 0,
      // Its first state.
      stateSeq: 1,
    });
    expect(t.effects).toEqual([{ type: 'Schedule' }]);
  });

  it('initialExecutorLimit is the initial target (0 under dynamic allocation)', () => {
    const t = registerApplication(
      clusterOf({}),
      { id: 'app-1', seq: 0 },
      { ...description, initialExecutorLimit: 0 },
      0,
    );
    expect(t.cluster.applications['app-1']?.executorTargets).toEqual({ 0: 0 });
  });

  it('Appendix B.9: a second application from the same driver address is not tracked', () => {
    const first = registerApplication(
      clusterOf({}),
      { id: 'app-1', seq: 0 },
      { ...description, driverAddress: 'driver-host:4040' },
      0,
    );
    const second = registerApplication(
      first.cluster,
      { id: 'app-2', seq: 1 },
      { ...description, driverAddress: 'driver-host:4040' },
      0,
    );
    expect(second.tracked).toBe(false);
    expect(second.cluster).toBe(first.cluster);
    expect(second.effects).toEqual([]);
  });
});

describe('§b ExecutorState', () => {
  it('placement: LAUNCHING, the app RUNNING with its cores granted and next id advanced', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1', resources: { gpu: ['0', '1'] } })],
      applications: [anApp({ id: 'app-1', state: 'WAITING' })],
    });
    const t = applyPlan(
      cluster,
      {
        drivers: [],
        executors: [
          {
            appId: 'app-1',
            executorId: 0,
            resourceProfileId: 0,
            workerId: 'w1',
            workerHostPort: 'host-w1:7078',
            cores: 3,
            memoryMb: 1024,
            resources: { gpu: ['1'] },
          },
        ],
        warnings: [],
      },
      7_000,
    );
    expect(t.cluster.executors['app-1/0']).toMatchObject({
      state: 'LAUNCHING',
      cores: 3,
      launchTimeMs: 7_000,
    });
    expect(t.cluster.applications['app-1']).toMatchObject({
      state: 'RUNNING',
      coresGranted: 3,
      nextExecutorId: 1,
    });
    expect(t.cluster.workers.w1).toMatchObject({
      coresUsed: 3,
      memoryUsedMb: 1024,
      resourcesUsed: { gpu: ['1'] },
    });
    expect(t.effects).toEqual([
      { type: 'LaunchExecutor', workerId: 'w1', appId: 'app-1', executorId: 0 },
    ]);
  });

  it('LAUNCHING -> RUNNING resets the retry count; no pass (it could place nothing new)', () => {
    const base = busyCluster();
    const cluster: Cluster = {
      ...base,
      applications: { 'app-1': anApp({ id: 'app-1', coresGranted: 4, retryCount: 4 }) },
    };
    const t = executorStateChanged(
      cluster,
      { appId: 'app-1', executorId: 1, state: 'RUNNING' },
      retries,
      0,
    );
    expect(t.outcome).toBe('applied');
    expect(t.cluster.executors['app-1/1']?.state).toBe('RUNNING');
    expect(t.cluster.applications['app-1']?.retryCount).toBe(0);
    expect(t.effects).toEqual([]);
  });

  it('RUNNING again (a duplicate report) changes nothing', () => {
    const cluster = busyCluster();
    const t = executorStateChanged(
      cluster,
      { appId: 'app-1', executorId: 0, state: 'RUNNING' },
      retries,
      0,
    );
    expect(t.cluster).toBe(cluster);
  });

  it.each(['EXITED', 'FAILED', 'KILLED', 'LOST'] as const)(
    '%s: removed from the app, its worker capacity (and addresses) returned',
    (state) => {
      const t = executorStateChanged(
        busyCluster(),
        {
          appId: 'app-1',
          executorId: 1,
          state,
          message: 'Command exited with code 1',
          exitStatus: 1,
        },
        retries,
        0,
      );
      expect(t.outcome).toBe('applied');
      expect(t.cluster.executors['app-1/1']).toMatchObject({
        state,
        exitStatus: 1,
        message: 'Command exited with code 1',
      });
      expect(t.cluster.applications['app-1']?.coresGranted).toBe(2);
      expect(t.cluster.workers.w1).toMatchObject({
        coresUsed: 3,
        memoryUsedMb: 2048,
      });
      expect(t.cluster.workers.w1?.resourcesUsed).toEqual({});
      expect(t.effects).toEqual([{ type: 'Schedule' }]);
    },
  );

  it('reports for an unknown app or executor, or a finished executor, are ignored', () => {
    const once = executorStateChanged(
      busyCluster(),
      { appId: 'app-1', executorId: 1, state: 'EXITED', exitStatus: 0 },
      retries,
      0,
    );
    for (const report of [
      { appId: 'app-1', executorId: 1, state: 'EXITED' as const, exitStatus: 0 },
      { appId: 'app-1', executorId: 9, state: 'RUNNING' as const },
      { appId: 'app-9', executorId: 0, state: 'FAILED' as const },
    ]) {
      const t = executorStateChanged(once.cluster, report, retries, 0);
      expect(t.outcome).toBe('unknown');
      expect(t.cluster).toBe(once.cluster);
    }
  });

  it.each(['LAUNCHING', 'DECOMMISSIONED'] as const)(
    'a worker cannot report %s: rejected',
    (state) => {
      const cluster = busyCluster();
      const t = executorStateChanged(cluster, { appId: 'app-1', executorId: 0, state }, retries, 0);
      expect(t.outcome).toBe('rejected');
      expect(t.cluster).toBe(cluster);
    },
  );
});

describe('§e maxExecutorRetries', () => {
  /** An app with `n` LAUNCHING executors on w1 and a retry count already at `count`. */
  function failing(count: number, running = false): Cluster {
    const executors = [0, 1, 2].map((id) =>
      anExecutor({ appId: 'app-1', id, workerId: 'w1', state: 'LAUNCHING' }),
    );
    if (running) executors.push(anExecutor({ appId: 'app-1', id: 3, workerId: 'w1' }));
    return clusterOf({
      workers: [aWorker({ id: 'w1', coresUsed: executors.length * 2, memoryUsedMb: 1024 * 4 })],
      applications: [anApp({ id: 'app-1', retryCount: count, coresGranted: executors.length * 2 })],
      executors,
    });
  }
  const exit = (cluster: Cluster, exitStatus: number | undefined, state = 'EXITED' as const) =>
    executorStateChanged(
      cluster,
      { appId: 'app-1', executorId: 0, state, ...(exitStatus === undefined ? {} : { exitStatus }) },
      retries,
      7000,
    );

  it('a normal exit (status 0) does not count', () => {
    expect(exit(failing(9), 0).cluster.applications['app-1']?.retryCount).toBe(9);
  });

  it('an abnormal exit, or one without a status, counts', () => {
    expect(exit(failing(0), 1).cluster.applications['app-1']?.retryCount).toBe(1);
    expect(exit(failing(0), undefined).cluster.applications['app-1']?.retryCount).toBe(1);
  });

  it('Appendix B.8: KILLED and LOST reports from the worker count too', () => {
    for (const state of ['KILLED', 'LOST'] as const) {
      const t = executorStateChanged(
        failing(2),
        { appId: 'app-1', executorId: 0, state, exitStatus: 143 },
        retries,
        0,
      );
      expect(t.cluster.applications['app-1']?.retryCount).toBe(3);
    }
  });

  it('reaching the max with no RUNNING executor removes the app as FAILED', () => {
    const t = exit(failing(9), 1);
    const app = t.cluster.applications['app-1'];
    expect(app).toMatchObject({ state: 'FAILED', retryCount: 10, endTimeMs: 7000 });
    // The remaining executors are killed and their capacity returned.
    expect(t.cluster.executors['app-1/1']?.state).toBe('KILLED');
    expect(t.cluster.executors['app-1/2']?.state).toBe('KILLED');
    expect(t.cluster.workers.w1?.coresUsed).toBe(0);
    expect(t.effects).toEqual([
      { type: 'KillExecutor', workerId: 'w1', appId: 'app-1', executorId: 1 },
      { type: 'KillExecutor', workerId: 'w1', appId: 'app-1', executorId: 2 },
      { type: 'Schedule' },
      { type: 'ApplicationFinished', appId: 'app-1' },
    ]);
  });

  it('a RUNNING sibling keeps the app alive past the max', () => {
    const t = exit(failing(12, true), 1);
    expect(t.cluster.applications['app-1']).toMatchObject({ state: 'RUNNING', retryCount: 13 });
  });

  it('-1 disables failing the application', () => {
    const t = executorStateChanged(
      failing(50),
      { appId: 'app-1', executorId: 0, state: 'FAILED', exitStatus: 1 },
      { maxExecutorRetries: -1 },
      0,
    );
    expect(t.cluster.applications['app-1']?.state).toBe('RUNNING');
  });
});

describe('§e removal', () => {
  it.each(['FINISHED', 'KILLED'] as const)(
    '%s: live executors are killed, the app keeps its granted cores, workers are told',
    (state) => {
      const t = finishApplication(busyCluster(), 'app-1', state, 8000);
      expect(t.known).toBe(true);
      expect(t.cluster.applications['app-1']).toMatchObject({
        state,
        endTimeMs: 8000,
        coresGranted: 4,
      });
      expect(t.cluster.executors['app-1/0']?.state).toBe('KILLED');
      expect(t.cluster.executors['app-1/1']?.state).toBe('KILLED');
      expect(t.cluster.workers.w1).toMatchObject({
        coresUsed: 1,
        memoryUsedMb: 1024,
      });
      expect(t.cluster.workers.w1?.resourcesUsed).toEqual({});
      expect(t.effects).toEqual([
        { type: 'KillExecutor', workerId: 'w1', appId: 'app-1', executorId: 0 },
        { type: 'KillExecutor', workerId: 'w1', appId: 'app-1', executorId: 1 },
        { type: 'Schedule' },
        { type: 'ApplicationFinished', appId: 'app-1' },
      ]);
    },
  );

  it('an unknown or already finished application: known false, nothing changes', () => {
    const once = finishApplication(busyCluster(), 'app-1', 'FINISHED', 1);
    for (const id of ['app-1', 'app-9']) {
      const t = finishApplication(once.cluster, id, 'KILLED', 2);
      expect(t.known).toBe(false);
      expect(t.cluster).toBe(once.cluster);
    }
  });
});

describe('§e dynamic allocation', () => {
  it('RequestExecutors sets targets, registers unseen profiles, never kills', () => {
    const cluster = busyCluster();
    const t = requestExecutors(cluster, 'app-1', [
      { resourceProfileId: 0, total: 0, executor: { memoryMb: 9999 } },
      {
        resourceProfileId: 3,
        total: 2,
        executor: { coresPerExecutor: 1, memoryMb: 2048, resources: { gpu: 1 } },
      },
      { resourceProfileId: 4, total: 1, executor: {} },
    ]);
    expect(t.known).toBe(true);
    const app = t.cluster.applications['app-1'];
    expect(app?.executorTargets).toEqual({ 0: 0, 3: 2, 4: 1 });
    // A known profile keeps its description; an unseen one is registered, with the
    // application's cores and memory where it names none (and no resources of the app's).
    expect(app?.resourceProfiles['0']).toEqual(
      cluster.applications['app-1']?.resourceProfiles['0'],
    );
    expect(app?.resourceProfiles['3']).toEqual({
      id: 3,
      coresPerExecutor: 1,
      memoryMb: 2048,
      resources: { gpu: 1 },
    });
    const defaults = cluster.applications['app-1']?.description.defaultProfile;
    expect(app?.resourceProfiles['4']).toEqual({
      id: 4,
      ...(defaults?.coresPerExecutor === undefined
        ? {}
        : { coresPerExecutor: defaults.coresPerExecutor }),
      memoryMb: defaults?.memoryMb,
      resources: {},
    });
    expect(t.cluster.executors).toBe(cluster.executors);
    expect(t.effects).toEqual([{ type: 'Schedule' }]);
  });

  it('KillExecutors kills known live executors and drops ids that are not Java ints', () => {
    const t = killExecutors(busyCluster(), 'app-1', ['1', 'x', '1.5', '7', '2147483648']);
    expect(t.known).toBe(true);
    expect(t.cluster.executors['app-1/1']?.state).toBe('KILLED');
    expect(t.cluster.executors['app-1/0']?.state).toBe('RUNNING');
    expect(t.cluster.applications['app-1']?.coresGranted).toBe(2);
    expect(t.cluster.workers.w1).toMatchObject({ coresUsed: 3 });
    expect(t.cluster.workers.w1?.resourcesUsed).toEqual({});
    expect(t.effects).toEqual([
      { type: 'KillExecutor', workerId: 'w1', appId: 'app-1', executorId: 1 },
      { type: 'Schedule' },
    ]);
  });

  it('both answer known false for an unknown application', () => {
    const cluster = busyCluster();
    expect(killExecutors(cluster, 'app-9', ['0']).known).toBe(false);
    expect(requestExecutors(cluster, 'app-9', []).known).toBe(false);
    expect(killExecutors(cluster, 'app-9', ['0']).cluster).toBe(cluster);
  });
});
