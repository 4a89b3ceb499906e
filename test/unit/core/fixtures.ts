// Plain-object builders for core tests.
import type { Context, DriverIdentity } from '../../../lib/core/lifecycle.js';
import {
  type Application,
  type Cluster,
  type Driver,
  type Executor,
  executorKey,
  INT_MAX,
  type Worker,
} from '../../../lib/core/model.js';

export function aWorker(overrides: Partial<Worker> & { id: string }): Worker {
  return {
    host: `host-${overrides.id}`,
    port: 7078,
    webUiUrl: `http://host-${overrides.id}:8081`,
    cores: 8,
    memoryMb: 8192,
    resources: {},
    coresUsed: 0,
    memoryUsedMb: 0,
    resourcesUsed: {},
    state: 'ALIVE',
    lastHeartbeatMs: 0,
    ...overrides,
  };
}

export function aDriver(overrides: Partial<Driver> & { id: string }): Driver {
  return {
    seq: 0,
    submitTimeMs: 0,
    description: {
      appResource: 'file:/app.jar',
      mainClass: 'org.example.Main',
      appArgs: [],
      sparkProperties: {},
      environmentVariables: {},
      cores: 1,
      memoryMb: 1024,
      supervise: false,
      resources: {},
    },
    state: 'SUBMITTED',
    resources: {},
    ...overrides,
  };
}

export function anApp(overrides: Partial<Application> & { id: string }): Application {
  const defaultProfile = { memoryMb: 1024, resources: {} };
  return {
    seq: 0,
    submitTimeMs: 0,
    description: {
      name: overrides.id,
      user: 'spark',
      defaultProfile,
      command: { argv: ['run-executor'], env: {} },
    },
    state: 'RUNNING',
    resourceProfiles: { 0: { id: 0, ...defaultProfile } },
    executorTargets: { 0: INT_MAX },
    coresGranted: 0,
    retryCount: 0,
    nextExecutorId: 0,
    ...overrides,
  };
}

export function anExecutor(
  overrides: Partial<Executor> & { appId: string; id: number; workerId: string },
): Executor {
  return {
    workerHostPort: `host-${overrides.workerId}:7078`,
    resourceProfileId: 0,
    cores: 2,
    memoryMb: 1024,
    resources: {},
    state: 'RUNNING',
    ...overrides,
  };
}

export function clusterOf(parts: {
  workers?: Worker[];
  applications?: Application[];
  executors?: Executor[];
  drivers?: Driver[];
}): Cluster {
  return {
    workers: Object.fromEntries((parts.workers ?? []).map((w) => [w.id, w])),
    applications: Object.fromEntries((parts.applications ?? []).map((a) => [a.id, a])),
    executors: Object.fromEntries(
      (parts.executors ?? []).map((e) => [executorKey(e.appId, e.id), e]),
    ),
    drivers: Object.fromEntries((parts.drivers ?? []).map((d) => [d.id, d])),
  };
}

/** A context whose relaunch ids count up from `driver-relaunch-0100`. */
export function ctx(now: number): Context & { issued: DriverIdentity[] } {
  const issued: DriverIdentity[] = [];
  return {
    now,
    issued,
    nextDriver: () => {
      const seq = 100 + issued.length;
      const identity = { id: `driver-relaunch-${String(seq).padStart(4, '0')}`, seq };
      issued.push(identity);
      return identity;
    },
  };
}

/** An app with live executors on a worker whose used capacity matches them. */
export function busyCluster(): Cluster {
  const worker = aWorker({
    id: 'w1',
    resources: { gpu: ['0', '1', '2'] },
    coresUsed: 5,
    memoryUsedMb: 3072,
    resourcesUsed: { gpu: ['1'] },
  });
  return clusterOf({
    workers: [worker, aWorker({ id: 'w2' })],
    applications: [anApp({ id: 'app-1', coresGranted: 4, nextExecutorId: 2 })],
    executors: [
      anExecutor({ appId: 'app-1', id: 0, workerId: 'w1', state: 'RUNNING' }),
      anExecutor({
        appId: 'app-1',
        id: 1,
        workerId: 'w1',
        state: 'LAUNCHING',
        resources: { gpu: ['1'] },
      }),
    ],
    drivers: [
      aDriver({ id: 'driver-1', state: 'RUNNING', workerId: 'w1', workerHostPort: 'host-w1:7078' }),
    ],
  });
}
