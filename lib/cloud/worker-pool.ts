// The elastic worker pool: workers started when drivers or applications wait for room,
// stopped when idle, and reconciled with what actually runs. ECS Fargate tasks in AWS,
// child processes in local mode: both behind `WorkerLauncher`.

import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeTasksCommand,
  ECSClient,
  paginateListTasks,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { isBusy, type PoolSettings, workersToStart, workersToStop } from '../core/autoscale.js';
import type { MasterConfig } from '../core/config.js';
import { decommissionWorker, type Effect, workerLost } from '../core/lifecycle.js';
import type { Cluster } from '../core/model.js';
import { applyEvent } from '../store/apply.js';
import type { Lease } from '../store/lease.js';
import { pendingWorkers, readPool, writePool } from '../store/pool.js';
import { loadScope } from '../store/scope.js';
import type { Table } from '../store/table.js';

export interface WorkerInstance {
  /** The ECS task ARN (or local process id) the worker reports as its `instanceId`. */
  readonly instanceId: string;
  readonly startedAtMs: number;
}

export interface WorkerLauncher {
  /** Starts `count` workers; each gets `token` as SPARKPLANE_LAUNCH_TOKEN. */
  launch(count: number, token: string): Promise<void>;
  stop(instanceId: string, reason: string): Promise<void>;
  /** What runs now. */
  list(): Promise<WorkerInstance[]>;
}

export interface PoolDeps {
  readonly table: Table;
  readonly launcher: WorkerLauncher;
  readonly settings: PoolSettings;
  readonly config: MasterConfig;
  /** How long a started worker has to register before it counts as failed. */
  readonly registrationGraceMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/** ECS RunTask starts at most 10 tasks per call. */
const RUN_TASK_MAX = 10;

export interface EcsLauncherOptions {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly containerName: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
  /** Marks the pool's tasks (ListTasks filters on it); at most 36 characters. */
  readonly startedBy: string;
}

export class EcsLauncher implements WorkerLauncher {
  constructor(
    private readonly ecs: ECSClient,
    private readonly o: EcsLauncherOptions,
    private readonly logger?: Logger,
  ) {}

  async launch(count: number, token: string): Promise<void> {
    for (let i = 0, call = 0; i < count; i += RUN_TASK_MAX, call++) {
      const { failures = [] } = await this.ecs.send(
        new RunTaskCommand({
          cluster: this.o.cluster,
          taskDefinition: this.o.taskDefinition,
          launchType: 'FARGATE',
          count: Math.min(RUN_TASK_MAX, count - i),
          startedBy: this.o.startedBy,
          // Retried calls with the same token start nothing twice.
          clientToken: `${token}-${call}`,
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: [...this.o.subnets],
              securityGroups: [...this.o.securityGroups],
              assignPublicIp: this.o.assignPublicIp ? 'ENABLED' : 'DISABLED',
            },
          },
          overrides: {
            containerOverrides: [
              {
                name: this.o.containerName,
                environment: [{ name: 'SPARKPLANE_LAUNCH_TOKEN', value: token }],
              },
            ],
          },
        }),
      );
      if (failures.length > 0) this.logger?.warn('some workers did not start', { failures });
    }
  }

  async stop(instanceId: string, reason: string): Promise<void> {
    await this.ecs.send(
      new StopTaskCommand({
        cluster: this.o.cluster,
        task: instanceId,
        reason: reason.slice(0, 255),
      }),
    );
  }

  async list(): Promise<WorkerInstance[]> {
    const arns: string[] = [];
    for await (const page of paginateListTasks(
      { client: this.ecs },
      { cluster: this.o.cluster, startedBy: this.o.startedBy, desiredStatus: 'RUNNING' },
    )) {
      arns.push(...(page.taskArns ?? []));
    }
    const instances: WorkerInstance[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const { tasks = [] } = await this.ecs.send(
        new DescribeTasksCommand({ cluster: this.o.cluster, tasks: arns.slice(i, i + 100) }),
      );
      for (const t of tasks) {
        if (t.taskArn) {
          instances.push({ instanceId: t.taskArn, startedAtMs: t.createdAt?.getTime() ?? 0 });
        }
      }
    }
    return instances;
  }
}

/**
 * Starts the workers the waiting work needs, once: the launch is recorded with a
 * conditional write first, so two passes working from the same state start it once.
 */
export async function scaleOut(deps: PoolDeps, cluster: Cluster): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = deps.now();
    const pool = await readPool(deps.table);
    const pending = pendingWorkers(pool, now, deps.registrationGraceMs);
    const count = workersToStart(cluster, deps.config, deps.settings, pending);
    if (count === 0) return 0;
    const token = randomUUID();
    const launches = { ...pool.launches, [token]: { count, registered: 0, atMs: now } };
    if (
      !(await writePool(deps.table, pool, { ...pool, launches }, now, deps.registrationGraceMs))
    ) {
      continue;
    }
    deps.logger.info('starting workers', { count, pending, token });
    await deps.launcher.launch(count, token);
    return count;
  }
  return 0;
}

export interface Reconciled {
  /** Workers whose instance is gone: lost now, not after spark.worker.timeout. */
  readonly lost: readonly string[];
  /** Instances that never registered within the grace period: stopped. */
  readonly unregistered: readonly string[];
  /** Idle workers decommissioned and stopped. */
  readonly stopped: readonly string[];
  readonly effects: readonly Effect[];
}

/**
 * What cleanup does for the pool every minute: reconcile the cluster with the instances
 * that run, and stop idle workers down to the minimum.
 */
export async function reconcilePool(
  deps: PoolDeps,
  cluster: Cluster,
  generations: ReadonlyMap<string, number>,
  lease: Lease,
): Promise<Reconciled> {
  const now = deps.now();
  const options = { now, config: deps.config, lease };
  const instances = await deps.launcher.list();
  const running = new Set(instances.map((i) => i.instanceId));
  const listed = Object.values(cluster.workers).filter((w) => w.state !== 'DEAD');
  const effects: Effect[] = [];

  const lost: string[] = [];
  for (const w of listed) {
    if (w.instanceId === undefined || running.has(w.instanceId)) continue;
    const applied = await applyEvent(
      deps.table,
      () => loadScope(deps.table, { workersWithAssigned: [w.id] }),
      (c, budget, ctx) => workerLost(c, w.id, `its instance ${w.instanceId} is gone`, ctx, budget),
      options,
    );
    effects.push(...applied.effects);
    lost.push(w.id);
  }

  const claimed = new Set(listed.map((w) => w.instanceId));
  const unregistered = instances
    .filter((i) => !claimed.has(i.instanceId) && i.startedAtMs < now - deps.registrationGraceMs)
    .map((i) => i.instanceId);
  for (const instanceId of unregistered) {
    await deps.launcher.stop(instanceId, 'sparkplane: the worker never registered');
  }

  const stopped = await scaleIn(deps, cluster, generations, lease, now);
  return { lost, unregistered, stopped, effects };
}

/** Idle workers past the timeout: decommissioned (nothing more is placed), then stopped. */
async function scaleIn(
  deps: PoolDeps,
  cluster: Cluster,
  generations: ReadonlyMap<string, number>,
  lease: Lease,
  now: number,
): Promise<string[]> {
  const pool = await readPool(deps.table);
  // Idle since the first tick that saw the worker idle at its current generation.
  const idle: Record<string, { sinceMs: number; generation: number }> = {};
  for (const w of Object.values(cluster.workers)) {
    if (w.state !== 'ALIVE') continue;
    const generation = generations.get(w.id) ?? 0;
    const seen = pool.idle[w.id];
    idle[w.id] = seen && seen.generation === generation ? seen : { sinceMs: now, generation };
  }
  const managed = {
    ...cluster,
    workers: Object.fromEntries(
      Object.entries(cluster.workers).filter(([, w]) => w.instanceId !== undefined),
    ),
  };
  const stop = workersToStop(managed, deps.settings, (id) => idle[id]?.sinceMs ?? now, now);
  await writePool(deps.table, pool, { ...pool, idle }, now, deps.registrationGraceMs);
  const stopped: string[] = [];
  for (const workerId of stop) {
    const applied = await applyEvent(
      deps.table,
      () => loadScope(deps.table, { workersWithAssigned: [workerId] }),
      // Read again: a pass may have placed something on it since.
      (c, budget, ctx) =>
        isBusy(c, workerId)
          ? { cluster: c, effects: [] }
          : decommissionWorker(c, workerId, budget, ctx.now),
      { now, config: deps.config, lease },
    );
    if (applied.cluster.workers[workerId]?.state !== 'DECOMMISSIONED') continue;
    const instanceId = cluster.workers[workerId]?.instanceId;
    if (instanceId) await deps.launcher.stop(instanceId, 'sparkplane: idle');
    stopped.push(workerId);
  }
  return stopped;
}

/**
 * The pool as the functions are configured in AWS; none without WORKER_CLUSTER (workers
 * started by other means are only scheduled on, never started or stopped).
 */
export function poolDepsFromEnv(
  env: NodeJS.ProcessEnv,
  table: Table,
  config: MasterConfig,
  logger: Logger,
): PoolDeps | undefined {
  const cluster = env.WORKER_CLUSTER;
  if (!cluster) return undefined;
  const list = (v: string | undefined) => (v ?? '').split(',').filter(Boolean);
  const number = (name: string, fallback: number) => {
    const n = Number(env[name] ?? fallback);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
    return n;
  };
  return {
    table,
    launcher: new EcsLauncher(
      new ECSClient({}),
      {
        cluster,
        taskDefinition: env.WORKER_TASK_DEFINITION ?? '',
        containerName: env.WORKER_CONTAINER ?? 'worker',
        subnets: list(env.WORKER_SUBNETS),
        securityGroups: list(env.WORKER_SECURITY_GROUPS),
        assignPublicIp: env.WORKER_PUBLIC_IP === 'true',
        startedBy: env.WORKER_STARTED_BY ?? 'sparkplane',
      },
      logger,
    ),
    settings: {
      minWorkers: number('POOL_MIN_WORKERS', 0),
      maxWorkers: number('POOL_MAX_WORKERS', 10),
      workerCores: number('WORKER_CORES', 4),
      workerMemoryMb: number('WORKER_MEMORY_MB', 8192),
      idleTimeoutMs: number('POOL_IDLE_TIMEOUT_SEC', 600) * 1000,
    },
    config,
    registrationGraceMs: number('WORKER_REGISTRATION_GRACE_SEC', 300) * 1000,
    now: Date.now,
    logger,
  };
}
