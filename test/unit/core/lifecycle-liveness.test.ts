// Application liveness: an application ends when its driver's process does (a driver
// sparkplane launched) or when its driver stops renewing the lease (any driver).
import { describe, expect, it } from 'vitest';
import {
  driverStateChanged,
  expireApplication,
  expiredApplications,
  registerApplication,
  workerLost,
  workerReports,
} from '../../../lib/core/lifecycle.js';
import { aDriver, anApp, anExecutor, aWorker, clusterOf, ctx } from './fixtures.js';

const worker = aWorker({ id: 'w1', cores: 8, memoryMb: 8192, coresUsed: 3, memoryUsedMb: 2048 });
const driver = aDriver({ id: 'driver-1', state: 'RUNNING', workerId: 'w1', appId: 'app-1' });
const app = anApp({
  id: 'app-1',
  coresGranted: 2,
  description: { ...anApp({ id: 'app-1' }).description, driverAddress: 'driver-1' },
});
const executor = anExecutor({ appId: 'app-1', id: 0, workerId: 'w1' });
const cluster = clusterOf({
  workers: [worker],
  drivers: [driver],
  applications: [app],
  executors: [executor],
});

describe('a driver and its application', () => {
  it('registering links the application to its running driver', () => {
    const t = registerApplication(
      clusterOf({ drivers: [{ ...driver, appId: undefined }] }),
      { id: 'app-7', seq: 7 },
      { ...app.description, driverAddress: 'driver-1' },
      5,
    );
    expect(t.cluster.drivers['driver-1']?.appId).toBe('app-7');
  });

  it.each(['FINISHED', 'FAILED', 'KILLED', 'ERROR'] as const)(
    'a driver that ends %s finishes its application: executors killed, capacity back',
    (state) => {
      const t = driverStateChanged(cluster, { driverId: 'driver-1', state }, 100);
      expect(t.cluster.applications['app-1']).toMatchObject({ state: 'FINISHED', endTimeMs: 100 });
      expect(t.cluster.executors['app-1/0']?.state).toBe('KILLED');
      expect(t.cluster.workers.w1).toMatchObject({ coresUsed: 0, memoryUsedMb: 0 });
      expect(t.effects).toContainEqual({
        type: 'KillExecutor',
        workerId: 'w1',
        appId: 'app-1',
        executorId: 0,
      });
    },
  );

  it('a supervised driver relaunched after its worker was lost leaves its application ended', () => {
    const supervised = { ...driver, description: { ...driver.description, supervise: true } };
    const t = workerLost({ ...cluster, drivers: { 'driver-1': supervised } }, 'w1', 'lost', ctx(9));
    expect(t.cluster.drivers['driver-1']?.state).toBe('RELAUNCHING');
    expect(t.cluster.applications['app-1']?.state).toBe('FINISHED');
  });
});

describe('the liveness lease', () => {
  it('an application expires once its lease is older than the timeout (registration counts)', () => {
    const c = clusterOf({
      applications: [
        anApp({ id: 'fresh', submitTimeMs: 0, leaseRenewedMs: 25_000 }),
        anApp({ id: 'silent', submitTimeMs: 0, leaseRenewedMs: 1000 }),
        anApp({ id: 'new', submitTimeMs: 20_000 }),
        anApp({ id: 'old', submitTimeMs: 0 }),
        anApp({ id: 'done', submitTimeMs: 0, state: 'FINISHED' }),
      ],
    });
    expect(expiredApplications(c, 30_000, 31_500).sort()).toEqual(['old', 'silent']);
  });

  it('an expired application ends FINISHED, as Spark ends one whose driver disconnected', () => {
    const silent = { ...cluster, drivers: {} };
    const t = expireApplication(silent, 'app-1', 30_000, 40_000);
    expect(t.cluster.applications['app-1']?.state).toBe('FINISHED');
    expect(t.cluster.executors['app-1/0']?.state).toBe('KILLED');
    const renewed = { ...silent, applications: { 'app-1': { ...app, leaseRenewedMs: 39_000 } } };
    expect(expireApplication(renewed, 'app-1', 30_000, 40_000).cluster).toBe(renewed);
  });
});

describe('a batch of worker reports', () => {
  it('applies each in order, as one event each would', () => {
    const launching = {
      ...cluster,
      executors: { 'app-1/0': { ...executor, state: 'LAUNCHING' as const } },
    };
    const t = workerReports(
      launching,
      [
        { kind: 'executor', appId: 'app-1', executorId: 0, state: 'RUNNING' },
        { kind: 'executor', appId: 'app-1', executorId: 9, state: 'RUNNING' },
        { kind: 'driver', driverId: 'driver-1', state: 'FINISHED' },
      ],
      { maxExecutorRetries: 10 },
      50,
    );
    expect(t.outcomes).toEqual(['applied', 'unknown', 'applied']);
    expect(t.cluster.drivers['driver-1']?.state).toBe('FINISHED');
    expect(t.cluster.executors['app-1/0']?.state).toBe('KILLED');
  });
});
