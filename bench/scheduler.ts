// A full placement pass: N workers (16 cores, 64 GiB) against 1,000 waiting applications
// (spark.cores.max 16, spark.executor.cores 2, 1 GiB executors) and 1,000 waiting drivers
// (1 core, 1 GiB). Building the cluster is not timed.
import { isDeepStrictEqual } from 'node:util';
import { masterConfig } from '../lib/core/config.js';
import { schedule } from '../lib/core/schedule.js';
import { waitingCluster } from './cluster.js';
import { mulberry32, percentile } from './stats.js';

const APPS = 1000;
const DRIVERS = 1000;

export async function schedulerBench(): Promise<void> {
  const config = masterConfig();
  for (const [workers, runs] of [
    [100, 50],
    [1000, 30],
    [10000, 15],
  ] as const) {
    const state = waitingCluster({ workers, apps: APPS, drivers: DRIVERS, appMaxCores: 16 });
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
