// A full placement pass: N workers (16 cores, 64 GiB) against 1,000 waiting applications
// (spark.cores.max 16, spark.executor.cores 2, 1 GiB executors) and 1,000 waiting drivers
// (1 core, 1 GiB). Building the cluster is not timed.
import { isDeepStrictEqual } from 'node:util';
import { masterConfig } from '../lib/core/config.js';
import { type Cluster, INT_MAX, type Worker } from '../lib/core/model.js';
import { schedule } from '../lib/core/schedule.js';
import { mulberry32, percentile } from './stats.js';

const APPS = 1000;
const DRIVERS = 1000;

function cluster(workerCount: number): Cluster {
  const workers: Record<string, Worker> = {};
  for (let i = 0; i < workerCount; i++) {
    const id = `worker-20261122000000-10.0.${i >> 8}.${i & 255}-7078`;
    workers[id] = {
      id,
      host: `10.0.${i >> 8}.${i & 255}`,
      port: 7078,
      webUiUrl: '',
      cores: 16,
      memoryMb: 65536,
      resources: {},
      coresUsed: 0,
      memoryUsedMb: 0,
      resourcesUsed: {},
      state: 'ALIVE',
      lastHeartbeatMs: 0,
    };
  }
  const applications: Cluster['applications'] = Object.fromEntries(
    Array.from({ length: APPS }, (_, i) => {
      const id = `app-20261122000000-${String(i).padStart(4, '0')}`;
      const defaultProfile = { coresPerExecutor: 2, memoryMb: 1024, resources: {} };
      return [
        id,
        {
          id,
          seq: i,
          submitTimeMs: 0,
          description: {
            name: `app ${i}`,
            user: 'spark',
            maxCores: 16,
            defaultProfile,
            command: { argv: [], env: {} },
          },
          state: 'WAITING',
          resourceProfiles: { 0: { id: 0, ...defaultProfile } },
          executorTargets: { 0: INT_MAX },
          coresGranted: 0,
          retryCount: 0,
          nextExecutorId: 0,
        },
      ] as const;
    }),
  );
  const drivers: Cluster['drivers'] = Object.fromEntries(
    Array.from({ length: DRIVERS }, (_, i) => {
      const id = `driver-20261122000000-${String(i).padStart(4, '0')}`;
      return [
        id,
        {
          id,
          seq: i,
          submitTimeMs: 0,
          description: {
            appResource: '',
            mainClass: 'org.apache.spark.examples.SparkPi',
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
        },
      ] as const;
    }),
  );
  return { workers, applications, executors: {}, drivers };
}

export async function schedulerBench(): Promise<void> {
  const config = masterConfig();
  for (const [workers, runs] of [
    [100, 50],
    [1000, 30],
    [10000, 15],
  ] as const) {
    const state = cluster(workers);
    // Same random source, same plan: the pass is a pure function of its inputs.
    const reference = schedule(state, config, mulberry32(1));
    if (!isDeepStrictEqual(schedule(state, config, mulberry32(1)), reference)) {
      throw new Error('scheduler bench: the pass is not deterministic');
    }
    for (let i = 0; i < 3; i++) schedule(state, config, mulberry32(i));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const random = mulberry32(i);
      const start = performance.now();
      schedule(state, config, random);
      times.push(performance.now() - start);
    }
    console.log(
      JSON.stringify({
        bench: 'scheduler',
        workers,
        apps: APPS,
        drivers: DRIVERS,
        runs,
        medianMs: percentile(times, 50),
        p99Ms: percentile(times, 99),
        driversPlaced: reference.drivers.length,
        executorsPlaced: reference.executors.length,
      }),
    );
  }
}
