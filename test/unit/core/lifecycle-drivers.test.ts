// Driver lifecycle (spec §b DriverState, §f).
import { describe, expect, it } from 'vitest';
import {
  applyPlan,
  driverStateChanged,
  killAllDrivers,
  killDriver,
  submitDriver,
  workerLost,
} from '../../../lib/core/lifecycle.js';
import type { Driver } from '../../../lib/core/model.js';
import { aDriver, aWorker, busyCluster, clusterOf, ctx } from './fixtures.js';

const description = aDriver({ id: 'x' }).description;

describe('§f submit and launch', () => {
  it('a submission enters the waiting queue SUBMITTED and asks for a pass', () => {
    const t = submitDriver(clusterOf({}), { id: 'driver-1', seq: 7 }, description, 1000);
    expect(t.cluster.drivers['driver-1']).toEqual({
      id: 'driver-1',
      seq: 7,
      submitTimeMs: 1000,
      description,
      state: 'SUBMITTED',
      resources: {},
      // Its first state: the first of its state-change events.
      stateSeq: 1,
    });
    expect(t.effects).toEqual([{ type: 'Schedule' }]);
  });

  it('a placement makes the driver RUNNING at once, charges its worker and launches it', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1', resources: { gpu: ['0', '1'] } })],
      drivers: [aDriver({ id: 'driver-1' })],
    });
    const t = applyPlan(
      cluster,
      {
        drivers: [
          {
            driverId: 'driver-1',
            workerId: 'w1',
            workerHostPort: 'host-w1:7078',
            cores: 1,
            memoryMb: 1024,
            resources: { gpu: ['0'] },
          },
        ],
        executors: [],
        warnings: [],
      },
      7_000,
    );
    expect(t.cluster.drivers['driver-1']).toMatchObject({
      state: 'RUNNING',
      launchTimeMs: 7_000,
      workerId: 'w1',
      workerHostPort: 'host-w1:7078',
      resources: { gpu: ['0'] },
    });
    expect(t.cluster.workers.w1).toMatchObject({
      coresUsed: 1,
      memoryUsedMb: 1024,
      resourcesUsed: { gpu: ['0'] },
    });
    expect(t.effects).toEqual([{ type: 'LaunchDriver', workerId: 'w1', driverId: 'driver-1' }]);
  });
});

describe('§a.4 / §f kill', () => {
  it('a waiting driver is KILLED right away', () => {
    const cluster = clusterOf({ drivers: [aDriver({ id: 'driver-1' })] });
    const t = killDriver(cluster, 'driver-1', 5000);
    expect(t.success).toBe(true);
    expect(t.message).toBe('Kill request for driver-1 submitted');
    expect(t.cluster.drivers['driver-1']).toMatchObject({ state: 'KILLED', endTimeMs: 5000 });
    expect(t.effects).toEqual([{ type: 'Schedule' }]);
  });

  it('a placed driver is asked to stop on its worker and stays RUNNING until it reports', () => {
    const t = killDriver(busyCluster(), 'driver-1', 5000);
    expect(t.success).toBe(true);
    expect(t.message).toBe('Kill request for driver-1 submitted');
    expect(t.cluster.drivers['driver-1']?.state).toBe('RUNNING');
    expect(t.effects).toEqual([{ type: 'KillDriver', workerId: 'w1', driverId: 'driver-1' }]);
  });

  it('an unknown or finished driver answers success false', () => {
    const cluster = clusterOf({ drivers: [aDriver({ id: 'driver-1', state: 'FINISHED' })] });
    for (const id of ['driver-1', 'driver-9']) {
      const t = killDriver(cluster, id, 5000);
      expect(t.success).toBe(false);
      expect(t.message).toBe(`Driver ${id} has already finished or does not exist`);
      expect(t.cluster).toBe(cluster);
      expect(t.effects).toEqual([]);
    }
  });

  it('killall applies the kill to every active driver', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1' })],
      drivers: [
        aDriver({ id: 'driver-1', state: 'RUNNING', workerId: 'w1', workerHostPort: 'h:1' }),
        aDriver({ id: 'driver-2' }),
        aDriver({ id: 'driver-3', state: 'FAILED' }),
      ],
    });
    const t = killAllDrivers(cluster, 5000);
    expect(t.success).toBe(true);
    expect(t.message).toBe('Kill request for all drivers submitted');
    expect(t.cluster.drivers['driver-2']?.state).toBe('KILLED');
    expect(t.cluster.drivers['driver-3']).toBe(cluster.drivers['driver-3']);
    expect(t.effects).toContainEqual({ type: 'KillDriver', workerId: 'w1', driverId: 'driver-1' });
  });
});

describe('§b DriverState: reports from the worker', () => {
  it.each(['FINISHED', 'KILLED', 'FAILED', 'ERROR'] as const)(
    'RUNNING -> %s releases the capacity and asks for a pass',
    (state) => {
      const before = busyCluster();
      const t = driverStateChanged(before, { driverId: 'driver-1', state }, 9000);
      expect(t.outcome).toBe('applied');
      expect(t.cluster.drivers['driver-1']).toMatchObject({ state, endTimeMs: 9000 });
      expect(t.cluster.workers.w1).toMatchObject({ coresUsed: 4, memoryUsedMb: 2048 });
      expect(t.effects).toEqual([{ type: 'Schedule' }]);
    },
  );

  it('ERROR keeps the exception for the status message', () => {
    const t = driverStateChanged(
      busyCluster(),
      { driverId: 'driver-1', state: 'ERROR', exception: 'java.io.IOException: no jar' },
      9000,
    );
    expect(t.cluster.drivers['driver-1']?.exception).toBe('java.io.IOException: no jar');
  });

  it.each(['SUBMITTED', 'RUNNING', 'RELAUNCHING', 'UNKNOWN'] as const)(
    'a non-final report (%s) is rejected and changes nothing',
    (state) => {
      const before = busyCluster();
      const t = driverStateChanged(before, { driverId: 'driver-1', state }, 9000);
      expect(t.outcome).toBe('rejected');
      expect(t.cluster).toBe(before);
    },
  );

  it('a duplicate final report releases nothing twice', () => {
    const once = driverStateChanged(busyCluster(), { driverId: 'driver-1', state: 'FINISHED' }, 1);
    const twice = driverStateChanged(once.cluster, { driverId: 'driver-1', state: 'FAILED' }, 2);
    expect(twice.outcome).toBe('unknown');
    expect(twice.cluster).toBe(once.cluster);
    expect(twice.cluster.workers.w1?.coresUsed).toBe(4);
  });
});

describe('§b / §d.3 a driver whose worker is lost', () => {
  const supervised = (d: Driver): Driver => ({
    ...d,
    description: { ...d.description, supervise: true },
  });

  it('supervised: the old record ends RELAUNCHING and a copy queues under a new id', () => {
    const base = busyCluster();
    const cluster = {
      ...base,
      drivers: { 'driver-1': supervised(base.drivers['driver-1'] as Driver) },
    };
    const c = ctx(20_000);
    const t = workerLost(cluster, 'w1', 'gone', c);
    expect(t.cluster.drivers['driver-1']).toMatchObject({
      state: 'RELAUNCHING',
      endTimeMs: 20_000,
    });
    const copy = t.cluster.drivers[c.issued[0]?.id as string];
    expect(copy).toEqual({
      id: 'driver-relaunch-0100',
      seq: 100,
      submitTimeMs: 20_000,
      description: cluster.drivers['driver-1']?.description,
      state: 'SUBMITTED',
      resources: {},
      stateSeq: 1,
    });
    expect(t.effects).toContainEqual({ type: 'Schedule' });
  });

  it('not supervised: ERROR', () => {
    const t = workerLost(busyCluster(), 'w1', 'gone', ctx(20_000));
    expect(t.cluster.drivers['driver-1']?.state).toBe('ERROR');
    expect(Object.keys(t.cluster.drivers)).toEqual(['driver-1']);
  });
});
