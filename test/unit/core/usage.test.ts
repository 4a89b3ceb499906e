// What runs hold, on a simulated clock: known durations give known core-seconds.
import { describe, expect, it } from 'vitest';
import { applyPlan, executorStateChanged, finishApplication } from '../../../lib/core/lifecycle.js';
import { applicationUsage, driverUsage } from '../../../lib/core/usage.js';
import { aDriver, anApp, aWorker, clusterOf } from './fixtures.js';

const prices = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 };

describe('usage', () => {
  it('a driver holds its cores, memory and resources from launch to end', () => {
    const base = aDriver({ id: 'd' });
    const d = aDriver({
      id: 'd',
      description: { ...base.description, cores: 2, memoryMb: 2048, resources: { gpu: 1 } },
      state: 'FINISHED',
      launchTimeMs: 10_000,
      endTimeMs: 3_610_000,
    });
    expect(driverUsage(d, 0, prices)).toEqual({
      coreSeconds: 7200,
      memoryMibSeconds: 7_372_800,
      resourceSeconds: { gpu: 3600 },
      // Two vCPU-hours and two GB-hours.
      estimatedCostUsd: 0.08985,
    });
    expect(driverUsage({ ...d, state: 'RUNNING', endTimeMs: undefined }, 1_810_000)).toEqual({
      coreSeconds: 3600,
      memoryMibSeconds: 3_686_400,
      resourceSeconds: { gpu: 1800 },
    });
    // Never placed: nothing held.
    expect(driverUsage(aDriver({ id: 'w' }), 10 ** 9).coreSeconds).toBe(0);
  });

  it('an application holds each executor from its launch until it leaves', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1' })],
      applications: [anApp({ id: 'app-1', state: 'WAITING' })],
    });
    const launch = (executorId: number) => ({
      appId: 'app-1',
      executorId,
      resourceProfileId: 0,
      workerId: 'w1',
      workerHostPort: 'host-w1:7078',
      cores: 2,
      memoryMb: 1024,
      resources: {},
    });
    const placed = applyPlan(
      cluster,
      { drivers: [], executors: [launch(0), launch(1)], warnings: [] },
      1_000,
    ).cluster;
    const config = { maxExecutorRetries: 10 };
    // Executor 0 exits after 10 s; the application finishes 20 s after the launch.
    const one = executorStateChanged(
      placed,
      { appId: 'app-1', executorId: 0, state: 'EXITED', exitStatus: 0 },
      config,
      11_000,
    ).cluster;
    expect(one.executors['app-1/0']?.endTimeMs).toBe(11_000);
    expect(one.applications['app-1']?.endedExecutorUsage).toEqual({
      coreSeconds: 20,
      memoryMibSeconds: 10_240,
      resourceSeconds: {},
    });
    // While it runs: 10 s of executor 0 and 15 s so far of executor 1.
    const running = applicationUsage(
      one.applications['app-1'] as never,
      Object.values(one.executors),
      16_000,
    );
    expect(running.coreSeconds).toBe(50);
    const done = finishApplication(one, 'app-1', 'FINISHED', 21_000).cluster;
    const app = done.applications['app-1'];
    // Ended executors are not read with the application: its record alone gives the total.
    expect(applicationUsage(app as never, [], 99_000)).toEqual({
      coreSeconds: 60,
      memoryMibSeconds: 30_720,
      resourceSeconds: {},
    });
  });
});
