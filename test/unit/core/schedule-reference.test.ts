// The optimised pass (worker heap, lazy reading) places exactly what a literal
// restatement of Spark's Master.schedule() places, on random clusters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../bench/stats.js';
import { WORKER_SELECTION_POLICIES } from '../../../lib/core/config.js';
import {
  type Application,
  type Cluster,
  type Driver,
  type Executor,
  executorKey,
  INT_MAX,
  type ResourceProfile,
  type Worker,
} from '../../../lib/core/model.js';
import { type SchedulingConfig, schedule } from '../../../lib/core/schedule.js';
import { referenceSchedule } from './reference-master.js';

const addresses = (n: number) => Array.from({ length: n }, (_, i) => String(i));

const workerArb = (id: string) =>
  fc
    .record({
      cores: fc.integer({ min: 0, max: 16 }),
      // Unused capacity is common, so most clusters have room to place something.
      usedCores: fc.oneof(fc.constant(0), fc.nat(16)),
      memory: fc.integer({ min: 0, max: 16 }).map((n) => n * 512),
      usedMemory: fc.oneof(
        fc.constant(0),
        fc.nat(16).map((n) => n * 256),
      ),
      gpus: fc.integer({ min: 0, max: 4 }),
      usedGpus: fc.nat(4),
      // A second resource, so every requirement is checked, not just the first.
      fpgas: fc.constantFrom(0, 0, 1, 2),
      state: fc.constantFrom('ALIVE', 'ALIVE', 'ALIVE', 'ALIVE', 'DEAD', 'DECOMMISSIONED' as const),
    })
    .map(
      (r): Worker => ({
        id,
        host: `h-${id}`,
        port: 7078,
        webUiUrl: '',
        cores: r.cores,
        memoryMb: r.memory,
        resources: {
          ...(r.gpus > 0 ? { gpu: addresses(r.gpus) } : {}),
          ...(r.fpgas > 0 ? { fpga: addresses(r.fpgas) } : {}),
        },
        coresUsed: Math.min(r.usedCores, r.cores),
        memoryUsedMb: Math.min(r.usedMemory, r.memory),
        // Used addresses are taken from the middle, so "first free" is not just "first".
        resourcesUsed:
          r.gpus > 0
            ? { gpu: addresses(r.gpus).reverse().slice(0, Math.min(r.usedGpus, r.gpus)) }
            : {},
        state: r.state,
        lastHeartbeatMs: 0,
      }),
    );

const profileArb = (id: number) =>
  fc
    .record({
      cpe: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      memory: fc.constantFrom(0, 128, 256, 512, 1024, 2048),
      gpus: fc.constantFrom(0, 0, 1, 2),
      fpgas: fc.constantFrom(0, 0, 0, 1),
    })
    .map(
      (r): ResourceProfile => ({
        id,
        ...(r.cpe === undefined ? {} : { coresPerExecutor: r.cpe }),
        memoryMb: r.memory,
        resources: {
          ...(r.gpus > 0 ? { gpu: r.gpus } : {}),
          ...(r.fpgas > 0 ? { fpga: r.fpgas } : {}),
        },
      }),
    );

const clusterArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.record({
      workers: fc.tuple(...ids.map((n) => workerArb(`w${n}`))),
      drivers: fc.array(
        fc.record({
          cores: fc.integer({ min: 1, max: 4 }),
          memory: fc.constantFrom(256, 512, 1024, 4096),
          gpus: fc.constantFrom(0, 0, 0, 1),
          fpgas: fc.constantFrom(0, 0, 0, 1),
          running: fc.boolean(),
        }),
        { maxLength: 8 },
      ),
      apps: fc.array(
        fc.record({
          maxCores: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
          profileIds: fc.uniqueArray(fc.constantFrom(1, 2, 5), { maxLength: 2 }),
          profiles: fc.array(profileArb(0), { minLength: 3, maxLength: 3 }),
          targets: fc.array(fc.oneof(fc.constant(INT_MAX), fc.integer({ min: 0, max: 5 })), {
            minLength: 3,
            maxLength: 3,
          }),
          existing: fc.array(
            fc.record({
              cores: fc.integer({ min: 1, max: 4 }),
              rp: fc.nat(2),
              // Mostly live; finished or decommissioned ones neither count nor hold cores.
              state: fc.constantFrom(
                'RUNNING',
                'LAUNCHING',
                'RUNNING',
                'LAUNCHING',
                'EXITED',
                'KILLED',
                'DECOMMISSIONED' as const,
              ),
            }),
            { maxLength: 3 },
          ),
          state: fc.constantFrom('WAITING', 'RUNNING', 'FINISHED' as const),
        }),
        { maxLength: 5 },
      ),
      config: fc.record({
        spreadOutApps: fc.boolean(),
        spreadOutDrivers: fc.boolean(),
        workerSelectionPolicy: fc.constantFrom(...WORKER_SELECTION_POLICIES),
        defaultCores: fc.oneof(fc.constant(INT_MAX), fc.integer({ min: 1, max: 20 })),
        maxDrivers: fc.oneof(fc.constant(INT_MAX), fc.integer({ min: 1, max: 5 })),
      }),
      seed: fc.integer(),
    }),
  )
  .map(({ workers, drivers, apps, config, seed }) => {
    const cluster: {
      workers: Record<string, Worker>;
      drivers: Record<string, Driver>;
      applications: Record<string, Application>;
      executors: Record<string, Executor>;
    } = { workers: {}, drivers: {}, applications: {}, executors: {} };
    for (const w of workers) cluster.workers[w.id] = w;
    drivers.forEach((d, i) => {
      const id = `driver-${i}`;
      const on = workers[i % workers.length] as Worker;
      cluster.drivers[id] = {
        id,
        // Queue order differs from id order.
        seq: (i * 7) % 11,
        submitTimeMs: 0,
        description: {
          appResource: '',
          mainClass: 'Main',
          appArgs: [],
          sparkProperties: {},
          environmentVariables: {},
          cores: d.cores,
          memoryMb: d.memory,
          supervise: false,
          resources: {
            ...(d.gpus > 0 ? { gpu: d.gpus } : {}),
            ...(d.fpgas > 0 ? { fpga: d.fpgas } : {}),
          },
        },
        state: d.running ? 'RUNNING' : 'SUBMITTED',
        ...(d.running ? { workerId: on.id, workerHostPort: 'h:1' } : {}),
        resources: {},
      };
    });
    apps.forEach((a, i) => {
      const id = `app-${i}`;
      const rpIds = [0, ...a.profileIds];
      const resourceProfiles = Object.fromEntries(
        rpIds.map((rp, k) => [rp, { ...(a.profiles[k] as ResourceProfile), id: rp }]),
      );
      const executorTargets = Object.fromEntries(
        rpIds.map((rp, k) => [rp, a.targets[k] as number]),
      );
      let granted = 0;
      a.existing.forEach((e, k) => {
        const rp = rpIds[e.rp % rpIds.length] as number;
        cluster.executors[executorKey(id, k)] = {
          appId: id,
          id: k,
          workerId: (workers[k % workers.length] as Worker).id,
          workerHostPort: 'h:1',
          resourceProfileId: rp,
          cores: e.cores,
          memoryMb: 128,
          resources: {},
          state: e.state,
        };
        if (e.state === 'RUNNING' || e.state === 'LAUNCHING') granted += e.cores;
      });
      cluster.applications[id] = {
        id,
        seq: (i * 3) % 7,
        submitTimeMs: 0,
        description: {
          name: id,
          user: 'u',
          ...(a.maxCores === undefined ? {} : { maxCores: a.maxCores }),
          defaultProfile: resourceProfiles[0] as ResourceProfile,
          command: { argv: [], env: {} },
        },
        state: a.state,
        resourceProfiles,
        executorTargets,
        coresGranted: granted,
        retryCount: 0,
        nextExecutorId: a.existing.length,
      };
    });
    return { cluster: cluster as Cluster, config: config as SchedulingConfig, seed };
  });

describe('schedule() equals a literal restatement of Spark', () => {
  it('places the same drivers and executors on random clusters', () => {
    fc.assert(
      fc.property(clusterArb, ({ cluster, config, seed }) => {
        const fast = schedule(cluster, config, mulberry32(seed));
        const literal = referenceSchedule(cluster, config, mulberry32(seed));
        expect(fast.drivers).toEqual(literal.drivers);
        expect(fast.executors).toEqual(literal.executors);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves its input untouched', () => {
    fc.assert(
      fc.property(clusterArb, ({ cluster, config, seed }) => {
        const before = structuredClone(cluster);
        schedule(cluster, config, mulberry32(seed));
        expect(cluster).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});
