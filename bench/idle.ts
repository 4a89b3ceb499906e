// What the control plane costs at rest: one cleanup tick (EventBridge, every minute) on an
// idle cluster with an empty elastic pool, against DynamoDB Local, with the capacity units
// DynamoDB reports for each request. Nothing else runs while nobody calls the API.
//
// The launcher lists no instances: ECS has no local stand-in, and its List/Describe calls
// are not billed.
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { runCleanup } from '../functions/cleanup.js';
import type { WorkerLauncher } from '../lib/cloud/worker-pool.js';
import { masterConfig } from '../lib/core/config.js';
import { LOCAL_AWS, startEmulators } from '../lib/local/emulators.js';
import { ensureTable, openTable } from '../lib/store/table.js';
import { percentile } from './stats.js';

const TICKS = 200;
const WARMUP = 20;

interface Consumed {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export async function idleBench(): Promise<void> {
  const emulators = await startEmulators();
  try {
    const table = openTable('idle-bench', { ...LOCAL_AWS, endpoint: emulators.dynamodbEndpoint });
    await ensureTable(table);
    const totals = { reads: 0, writes: 0, readUnits: 0, writeUnits: 0 };
    const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
    table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? '').replace(/Command$/, '');
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: Consumed | Consumed[] };
        const consumed = [output.ConsumedCapacity ?? []].flat();
        const units = consumed.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
        if (READS.has(command)) {
          totals.reads++;
          totals.readUnits += units;
        } else {
          totals.writes++;
          totals.writeUnits += units;
        }
        return result;
      },
      { step: 'initialize', name: 'countCapacity' },
    );
    const noInstances: WorkerLauncher = {
      launch: async () => {
        throw new Error('an idle cluster starts no worker');
      },
      stop: async () => {},
      list: async () => [],
    };
    const config = masterConfig();
    const deps = {
      table,
      sqs: new SQSClient({ ...LOCAL_AWS, endpoint: emulators.sqsEndpoint }),
      nudge: async () => {
        throw new Error('an idle cluster needs no pass');
      },
      config,
      leaseMs: 50_000,
      now: Date.now,
      pool: {
        table,
        launcher: noInstances,
        settings: {
          minWorkers: 0,
          maxWorkers: 10,
          workerCores: 1,
          workerMemoryMb: 4096,
          idleTimeoutMs: 600_000,
        },
        config,
        registrationGraceMs: 300_000,
        now: Date.now,
        logger: new Logger({ logLevel: 'ERROR' }),
      },
    };
    const times: number[] = [];
    for (let i = 0; i < WARMUP + TICKS; i++) {
      if (i === WARMUP) Object.assign(totals, { reads: 0, writes: 0, readUnits: 0, writeUnits: 0 });
      const start = performance.now();
      const outcome = await runCleanup(deps, `bench-${i}`);
      if (i >= WARMUP) times.push(performance.now() - start);
      if (!outcome.ran) throw new Error('idle bench: cleanup did not get its lease');
    }
    const perTick = (n: number) => Math.round((n / TICKS) * 100) / 100;
    console.log(
      JSON.stringify({
        bench: 'idle',
        ticks: TICKS,
        tickMedianMs: percentile(times, 50),
        tickP99Ms: percentile(times, 99),
        dynamoReadRequestsPerTick: perTick(totals.reads),
        dynamoWriteRequestsPerTick: perTick(totals.writes),
        readCapacityUnitsPerTick: perTick(totals.readUnits),
        writeCapacityUnitsPerTick: perTick(totals.writeUnits),
        ticksPerMonth: 43_800,
      }),
    );
  } finally {
    await emulators.stop();
  }
}
