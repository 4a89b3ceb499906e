// One scheduling pass through DynamoDB Local: 100 workers (16 cores, 64 GiB), 100 waiting
// drivers (1 core, 1 GiB) and 100 waiting applications (spark.cores.max 8,
// spark.executor.cores 2). Counts DynamoDB requests by kind with an SDK middleware.
//
// DynamoDB Local is a JVM: its first pass runs mostly interpreted and is about twice as
// slow as the rest, which no deployed table shows. `passMs` is the median of RUNS passes,
// each on a fresh table, after that first one; `coldPassMs` is the first, for the record.
import { masterConfig } from '../lib/core/config.js';
import { LOCAL_AWS, startEmulators } from '../lib/local/emulators.js';
import { putRecords } from '../lib/store/cluster.js';
import { runSchedulingPass } from '../lib/store/pass.js';
import { ensureTable, openTable } from '../lib/store/table.js';
import { waitingCluster } from './cluster.js';
import { mulberry32, percentile } from './stats.js';

const WORKERS = 100;
const DRIVERS = 100;
const APPS = 100;
const RUNS = 5;

async function onePass(endpoint: string, tableName: string) {
  const table = openTable(tableName, { ...LOCAL_AWS, endpoint });
  await ensureTable(table);
  const cluster = waitingCluster({
    workers: WORKERS,
    apps: APPS,
    drivers: DRIVERS,
    appMaxCores: 8,
  });
  await putRecords(table, {
    workers: Object.values(cluster.workers),
    drivers: Object.values(cluster.drivers),
    applications: Object.values(cluster.applications),
  });
  const requests = new Map<string, number>();
  table.doc.middlewareStack.add(
    (next, context) => (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      requests.set(name, (requests.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const start = performance.now();
  const outcome = await runSchedulingPass(table, masterConfig(), {
    holder: 'bench',
    leaseMs: 30_000,
    maxAttempts: 3,
    now: Date.now,
    random: mulberry32(1),
  });
  const passMs = performance.now() - start;
  if (outcome.kind !== 'done' || !outcome.settled) {
    throw new Error('store bench: pass did not settle');
  }
  const placements = outcome.committed.reduce(
    (n, { plan: p }) => n + p.drivers.length + p.executors.length,
    0,
  );
  return { passMs, placements, requests };
}

export async function storeBench(): Promise<void> {
  const emulators = await startEmulators();
  try {
    const cold = await onePass(emulators.dynamodbEndpoint, 'bench-cold');
    const runs = [];
    for (let i = 0; i < RUNS; i++)
      runs.push(await onePass(emulators.dynamodbEndpoint, `bench-${i}`));
    const { placements, requests } = runs[0] as (typeof runs)[number];
    const count = (...kinds: string[]) => kinds.reduce((n, k) => n + (requests.get(k) ?? 0), 0);
    // The lease's acquire and release are writes too, and are counted.
    const writes = count('TransactWriteItems', 'UpdateItem', 'PutItem', 'DeleteItem');
    const reads = count('Query', 'GetItem', 'BatchGetItem');
    console.log(
      JSON.stringify({
        bench: 'store',
        workers: WORKERS,
        apps: APPS,
        drivers: DRIVERS,
        placements,
        runs: RUNS,
        passMs: percentile(
          runs.map((r) => r.passMs),
          50,
        ),
        passMaxMs: percentile(
          runs.map((r) => r.passMs),
          100,
        ),
        coldPassMs: Math.round(cold.passMs * 100) / 100,
        writeRequestsPerPlacement: Math.round((writes / placements) * 1000) / 1000,
        readRequests: reads,
        requestsByKind: Object.fromEntries(requests),
      }),
    );
  } finally {
    await emulators.stop();
  }
}
