// Bounded transitions and the repairs that finish them: settling at most `budget`
// executors and drivers per step, then `repairs` until nothing is left, ends exactly where
// Spark's all-at-once transition ends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Context,
  decommissionWorker,
  executorStateChanged,
  finishApplication,
  repairs,
  type Transition,
  workerLost,
} from '../../../lib/core/lifecycle.js';
import type { Cluster, Executor } from '../../../lib/core/model.js';
import { aDriver, anApp, anExecutor, aWorker, clusterOf, ctx } from './fixtures.js';

/** Two workers, two apps with five executors each spread over both, two drivers on w1. */
function crowdedCluster(): Cluster {
  const executors: Executor[] = [];
  for (const appId of ['app-1', 'app-2']) {
    for (let id = 0; id < 5; id++) {
      executors.push(anExecutor({ appId, id, workerId: id % 2 === 0 ? 'w1' : 'w2', cores: 1 }));
    }
  }
  return clusterOf({
    workers: [
      aWorker({ id: 'w1', cores: 16, coresUsed: 6 + 2, memoryUsedMb: 6 * 1024 + 2 * 1024 }),
      aWorker({ id: 'w2', cores: 16, coresUsed: 4, memoryUsedMb: 4 * 1024 }),
    ],
    applications: [
      anApp({ id: 'app-1', coresGranted: 5, nextExecutorId: 5 }),
      anApp({ id: 'app-2', seq: 1, coresGranted: 5, nextExecutorId: 5 }),
    ],
    executors,
    drivers: [
      aDriver({ id: 'driver-1', state: 'RUNNING', workerId: 'w1' }),
      aDriver({
        id: 'driver-2',
        seq: 1,
        state: 'RUNNING',
        workerId: 'w1',
        description: { ...aDriver({ id: 'x' }).description, supervise: true },
      }),
    ],
  });
}

/** Runs a bounded transition, then repairs with the same budget until settled. */
function settleInSteps(
  first: (budget: number) => Transition,
  context: Context,
  budget: number,
): { cluster: Cluster; steps: number } {
  let t = first(budget);
  let steps = 1;
  while (t.unsettled) {
    t = repairs(t.cluster, context, budget);
    steps++;
    if (steps > 100) throw new Error('repairs do not converge');
  }
  expect(repairs(t.cluster, context, budget).cluster).toBe(t.cluster);
  return { cluster: t.cluster, steps };
}

describe('bounded transitions and repairs', () => {
  it('a sound cluster needs no repair: same cluster, no effects', () => {
    const cluster = crowdedCluster();
    const t = repairs(cluster, ctx(0));
    expect(t.cluster).toBe(cluster);
    expect(t.effects).toEqual([]);
    expect(t.unsettled).toBeUndefined();
  });

  it('a lost worker settled two records at a time ends where Spark ends', () => {
    const whole = workerLost(crowdedCluster(), 'w1', 'gone', ctx(5));
    expect(whole.unsettled).toBeUndefined();
    const stepwise = settleInSteps(
      (budget) => workerLost(crowdedCluster(), 'w1', 'gone', ctx(5), budget),
      ctx(5),
      2,
    );
    // w1 holds 6 executors and 2 drivers: 8 records, 2 per step.
    expect(stepwise.steps).toBe(4);
    expect(stepwise.cluster).toEqual(whole.cluster);
    expect(stepwise.cluster.executors['app-1/0']?.message).toBe('worker lost: gone');
  });

  it('the first step of a bounded loss already stops the worker and says it is unsettled', () => {
    const t = workerLost(crowdedCluster(), 'w1', 'gone', ctx(5), 1);
    expect(t.unsettled).toBe(true);
    expect(t.cluster.workers.w1?.state).toBe('DEAD');
    const lost = Object.values(t.cluster.executors).filter((e) => e.state === 'LOST');
    expect(lost).toHaveLength(1);
  });

  it('a finished application with many executors: the app ends first, executors follow', () => {
    const first = finishApplication(crowdedCluster(), 'app-1', 'FINISHED', 9, 1);
    expect(first.cluster.applications['app-1']?.state).toBe('FINISHED');
    expect(first.unsettled).toBe(true);
    const whole = finishApplication(crowdedCluster(), 'app-1', 'FINISHED', 9);
    const stepwise = settleInSteps(
      (budget) => finishApplication(crowdedCluster(), 'app-1', 'FINISHED', 9, budget),
      ctx(9),
      1,
    );
    expect(stepwise.cluster).toEqual(whole.cluster);
    expect(stepwise.cluster.workers.w2?.coresUsed).toBe(2);
  });

  it('the repairs tell each worker to kill the executors of a finished app', () => {
    const first = finishApplication(crowdedCluster(), 'app-1', 'FINISHED', 9, 0);
    const t = repairs(first.cluster, ctx(9));
    const kills = t.effects.filter((e) => e.type === 'KillExecutor');
    expect(kills).toHaveLength(5);
    expect(t.effects).toContainEqual({ type: 'Schedule' });
  });

  it('a decommissioned worker settled one executor at a time', () => {
    const whole = decommissionWorker(crowdedCluster(), 'w2', undefined, 0);
    const stepwise = settleInSteps(
      (budget) => decommissionWorker(crowdedCluster(), 'w2', budget, 0),
      ctx(0),
      1,
    );
    expect(stepwise.cluster).toEqual(whole.cluster);
    // w2 holds executors 1 and 3 of each app.
    expect(stepwise.steps).toBe(4);
  });

  it('an app failed by maxExecutorRetries leaves its other executors to the repairs', () => {
    const cluster = clusterOf({
      ...crowdedCluster(),
      workers: Object.values(crowdedCluster().workers),
      applications: [anApp({ id: 'app-1', coresGranted: 5, nextExecutorId: 5, retryCount: 9 })],
      executors: Object.values(crowdedCluster().executors)
        .filter((e) => e.appId === 'app-1')
        .map((e) => ({ ...e, state: 'LAUNCHING' as const })),
      drivers: [],
    });
    const report = { appId: 'app-1', executorId: 0, state: 'FAILED' as const, exitStatus: 1 };
    const config = { maxExecutorRetries: 10 };
    const whole = executorStateChanged(cluster, report, config, 7);
    expect(whole.cluster.applications['app-1']?.state).toBe('FAILED');
    const stepwise = settleInSteps(
      (budget) => executorStateChanged(cluster, report, config, 7, budget),
      ctx(7),
      1,
    );
    expect(stepwise.cluster).toEqual(whole.cluster);
  });

  it('executors and drivers of a worker that is not listed at all are settled as lost', () => {
    const cluster = crowdedCluster();
    const { w1: _gone, ...workers } = cluster.workers;
    const t = repairs({ ...cluster, workers }, ctx(3));
    expect(t.cluster.executors['app-1/0']?.state).toBe('LOST');
    expect(t.cluster.executors['app-1/1']?.state).toBe('RUNNING');
    expect(t.cluster.drivers['driver-1']?.state).toBe('ERROR');
    expect(t.cluster.drivers['driver-2']?.state).toBe('RELAUNCHING');
  });

  it('any budget, any order of events: stepwise equals all at once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('w1', 'w2'),
        fc.constantFrom('app-1', 'app-2'),
        (budget, workerId, appId) => {
          const context = () => ctx(11);
          const whole = finishApplication(
            workerLost(crowdedCluster(), workerId, 'gone', context()).cluster,
            appId,
            'KILLED',
            11,
          );
          const lost = settleInSteps(
            (b) => workerLost(crowdedCluster(), workerId, 'gone', context(), b),
            context(),
            budget,
          );
          const stepwise = settleInSteps(
            (b) => finishApplication(lost.cluster, appId, 'KILLED', 11, b),
            context(),
            budget,
          );
          expect(stepwise.cluster).toEqual(whole.cluster);
        },
      ),
    );
  });
});
