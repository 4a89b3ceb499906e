// Replays Spark's own placement cases (spec Appendix C) through the core, one test per case.
// The file is `SPARK_SCHEDULING_CASES`, default ../shared/spark-cases/scheduling-cases.json.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { masterConfig, type WORKER_SELECTION_POLICIES } from '../../../lib/core/config.js';
import {
  type Application,
  type Cluster,
  DEFAULT_RESOURCE_PROFILE_ID,
  type Executor,
  executorKey,
  INT_MAX,
  type Worker,
} from '../../../lib/core/model.js';
import { schedule, scheduleExecutorsOnWorkers } from '../../../lib/core/schedule.js';
import { repoRoot } from '../../paths.js';

type Amounts = Record<string, number>;

interface SchedulingCase {
  name: string;
  entryPoint: 'scheduleExecutorsOnWorkers' | 'startExecutorsOnWorkers';
  workerSelectionPolicy: (typeof WORKER_SELECTION_POLICIES)[number];
  spreadOut: boolean;
  defaultCores: number;
  workers: { id: string; cores: number; memoryMb: number; resources: Amounts }[];
  app: {
    coresPerExecutor?: number;
    memoryPerExecutorMb: number;
    maxCores?: number;
    executorLimit: number;
    existingExecutors: number;
    coresGranted: number;
    resourcesPerExecutor: Amounts;
  };
  expectedCoresPerWorker: number[];
  expectedExecutorsPerWorker: number[];
}

const CASE_FIELDS = new Set([
  'name',
  'source',
  'note',
  'notes',
  'entryPoint',
  'workerSelectionPolicy',
  'spreadOut',
  'defaultCores',
  'workers',
  'app',
  'expectedCoresPerWorker',
  'expectedExecutorsPerWorker',
]);
const APP_FIELDS = new Set([
  'coresPerExecutor',
  'memoryPerExecutorMb',
  'maxCores',
  'executorLimit',
  'existingExecutors',
  'coresGranted',
  'resourcesPerExecutor',
  'defaultCores',
]);
const WORKER_FIELDS = new Set(['id', 'cores', 'memoryMb', 'resources']);

function unknownKeys(o: object, known: Set<string>, where: string): void {
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length > 0) throw new Error(`${where}: fields this runner does not know: ${extra}`);
}

/** `{gpu: 2}`, `[{name: 'gpu', amount: 2}]`, or address arrays `{gpu: ['0','1']}`. */
function amounts(raw: unknown): Amounts {
  if (raw == null) return {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((r: { name: string; amount: number }) => [r.name, Number(r.amount)]),
    );
  }
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.length : Number(v),
    ]),
  );
}

function parseCase(raw: Record<string, unknown>, index: number): SchedulingCase {
  const where = `case ${index} (${String(raw.name)})`;
  unknownKeys(raw, CASE_FIELDS, where);
  const app = raw.app as Record<string, unknown>;
  unknownKeys(app, APP_FIELDS, `${where}.app`);
  const workers = raw.workers as Record<string, unknown>[];
  for (const w of workers) unknownKeys(w, WORKER_FIELDS, `${where}.workers`);
  const optional = (v: unknown): number | undefined => (v == null ? undefined : Number(v));
  const coresPerExecutor = optional(app.coresPerExecutor);
  const maxCores = optional(app.maxCores);
  return {
    name: String(raw.name),
    entryPoint: raw.entryPoint as SchedulingCase['entryPoint'],
    workerSelectionPolicy: masterConfig({
      'spark.deploy.workerSelectionPolicy': (raw.workerSelectionPolicy as string) ?? undefined,
    }).workerSelectionPolicy,
    spreadOut: raw.spreadOut as boolean,
    defaultCores: optional(app.defaultCores ?? raw.defaultCores) ?? INT_MAX,
    workers: workers.map((w) => ({
      id: String(w.id),
      cores: Number(w.cores),
      memoryMb: Number(w.memoryMb),
      resources: amounts(w.resources),
    })),
    app: {
      ...(coresPerExecutor === undefined ? {} : { coresPerExecutor }),
      ...(maxCores === undefined ? {} : { maxCores }),
      memoryPerExecutorMb: Number(app.memoryPerExecutorMb),
      executorLimit: optional(app.executorLimit) ?? INT_MAX,
      existingExecutors: optional(app.existingExecutors) ?? 0,
      coresGranted: optional(app.coresGranted) ?? 0,
      resourcesPerExecutor: amounts(app.resourcesPerExecutor),
    },
    expectedCoresPerWorker: raw.expectedCoresPerWorker as number[],
    expectedExecutorsPerWorker: raw.expectedExecutorsPerWorker as number[],
  };
}

const profileOf = (c: SchedulingCase) => ({
  ...(c.app.coresPerExecutor === undefined ? {} : { coresPerExecutor: c.app.coresPerExecutor }),
  memoryMb: c.app.memoryPerExecutorMb,
  resources: c.app.resourcesPerExecutor,
});

/** §c.5 alone, the workers passed unfiltered in the listed order (as MasterSuite does). */
function runScheduleExecutorsOnWorkers(c: SchedulingCase): { cores: number[]; execs: number[] } {
  const requested = c.app.maxCores ?? c.defaultCores;
  const grants = scheduleExecutorsOnWorkers(
    {
      coresLeft: requested - c.app.coresGranted,
      profile: profileOf(c),
      existingExecutors: c.app.existingExecutors,
      executorLimit: c.app.executorLimit,
    },
    c.workers.map((w) => ({ cores: w.cores, memoryMb: w.memoryMb, resources: w.resources })),
    c.spreadOut,
  );
  const cores = c.workers.map((_, i) => grants.cores[i] ?? 0);
  const cpe = c.app.coresPerExecutor;
  const execs = cores.map((n) => (cpe === undefined ? (n > 0 ? 1 : 0) : Math.floor(n / cpe)));
  return { cores, execs };
}

/** §c.4 + §c.6 through a whole scheduling pass over a cluster built from the case. */
function runStartExecutorsOnWorkers(c: SchedulingCase): { cores: number[]; execs: number[] } {
  const workers: Record<string, Worker> = {};
  for (const w of c.workers) {
    workers[w.id] = {
      id: w.id,
      host: `host-${w.id}`,
      port: 7078,
      webUiUrl: '',
      cores: w.cores,
      memoryMb: w.memoryMb,
      resources: Object.fromEntries(
        Object.entries(w.resources).map(([name, n]) => [
          name,
          Array.from({ length: n }, (_, i) => String(i)),
        ]),
      ),
      coresUsed: 0,
      memoryUsedMb: 0,
      resourcesUsed: {},
      state: 'ALIVE',
      lastHeartbeatMs: 0,
    };
  }
  const appId = 'app-case';
  // Existing executors count toward the limit; they live on a worker outside the case.
  const executors: Record<string, Executor> = {};
  for (let i = 0; i < c.app.existingExecutors; i++) {
    executors[executorKey(appId, i)] = {
      appId,
      id: i,
      workerId: 'elsewhere',
      workerHostPort: 'elsewhere:1',
      resourceProfileId: DEFAULT_RESOURCE_PROFILE_ID,
      cores: c.app.coresPerExecutor ?? 1,
      memoryMb: c.app.memoryPerExecutorMb,
      resources: {},
      state: 'RUNNING',
    };
  }
  const app: Application = {
    id: appId,
    seq: 0,
    submitTimeMs: 0,
    description: {
      name: c.name,
      user: 'spark',
      ...(c.app.maxCores === undefined ? {} : { maxCores: c.app.maxCores }),
      defaultProfile: profileOf(c),
      command: { argv: [], env: {} },
    },
    state: 'WAITING',
    resourceProfiles: { [DEFAULT_RESOURCE_PROFILE_ID]: { id: 0, ...profileOf(c) } },
    executorTargets: { [DEFAULT_RESOURCE_PROFILE_ID]: c.app.executorLimit },
    coresGranted: c.app.coresGranted,
    retryCount: 0,
    nextExecutorId: c.app.existingExecutors,
  };
  const cluster: Cluster = { workers, applications: { [appId]: app }, executors, drivers: {} };
  const plan = schedule(cluster, {
    ...masterConfig(),
    spreadOutApps: c.spreadOut,
    workerSelectionPolicy: c.workerSelectionPolicy,
    defaultCores: c.defaultCores,
  });
  const cores = c.workers.map((w) =>
    plan.executors.filter((e) => e.workerId === w.id).reduce((sum, e) => sum + e.cores, 0),
  );
  const execs = c.workers.map((w) => plan.executors.filter((e) => e.workerId === w.id).length);
  return { cores, execs };
}

const file = process.env.SPARK_SCHEDULING_CASES
  ? resolve(process.env.SPARK_SCHEDULING_CASES)
  : resolve(repoRoot, '../shared/spark-cases/scheduling-cases.json');
const cases = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[]).map(parseCase);

describe(`Spark scheduling cases (${cases.length} from ${file})`, () => {
  it('the file holds cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((c, i) => [`${i + 1}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const run =
      c.entryPoint === 'scheduleExecutorsOnWorkers'
        ? runScheduleExecutorsOnWorkers(c)
        : runStartExecutorsOnWorkers(c);
    expect(run.cores).toEqual(c.expectedCoresPerWorker);
    expect(run.execs).toEqual(c.expectedExecutorsPerWorker);
  });
});
