// One scheduling pass as the scheduler function runs it: take the lease, read the active
// cluster, plan with the core, commit; on a conflict read again and plan again (bounded).

import type { MasterConfig } from '../core/config.js';
import { applyPlan, type Effect, repairs } from '../core/lifecycle.js';
import type { Cluster } from '../core/model.js';
import type { Plan, SchedulingConfig } from '../core/schedule.js';
import { applicationWarning, schedule } from '../core/schedule.js';
import { writeApplicationWarning } from './applications.js';
import { applyEvent } from './apply.js';
import { loadActiveCluster } from './cluster.js';
import { commitPlan, type FaultHook } from './commit-plan.js';
import { acquireLease, releaseLease } from './lease.js';
import type { Table } from './table.js';

export const SCHEDULER_LEASE = 'scheduler';

export interface PassOptions {
  /** Who is passing (the Lambda request id, a process id): the lease holder. */
  readonly holder: string;
  /** How long the lease lasts if the holder dies before releasing it. */
  readonly leaseMs: number;
  /** Read-plan-commit rounds before giving up on conflicts for this pass. */
  readonly maxAttempts: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly faults?: FaultHook;
}

export type PassOutcome =
  /** Another live holder has the lease: the nudge must wait for it. */
  | { readonly kind: 'not-leader' }
  | {
      readonly kind: 'done';
      /** What this pass placed, one plan per committed round, with the state it was planned on. */
      readonly committed: readonly { readonly plan: Plan; readonly cluster: Cluster }[];
      readonly attempts: number;
      /** False when conflicts outlasted maxAttempts: another nudge must follow. */
      readonly settled: boolean;
      /** What repairing unfinished transitions asks the shell to do (kill commands). */
      readonly effects: readonly Effect[];
      /** The cluster as the pass left it: what it read, with what it placed. */
      readonly after?: Cluster;
    };

/** What a pass needs of the master's configuration: placement, and ids for relaunches. */
export type PassConfig = SchedulingConfig & Pick<MasterConfig, 'driverIdPattern'>;

/** Writes the applications' warnings that changed: a write only when one does. */
async function noteWarnings(table: Table, cluster: Cluster): Promise<void> {
  for (const app of Object.values(cluster.applications)) {
    const warning = applicationWarning(cluster, app);
    if (warning !== app.warning) await writeApplicationWarning(table, app.id, warning);
  }
}

export async function runSchedulingPass(
  table: Table,
  config: PassConfig,
  options: PassOptions,
): Promise<PassOutcome> {
  const lease = await acquireLease(
    table,
    SCHEDULER_LEASE,
    options.holder,
    options.now(),
    options.leaseMs,
  );
  if (!lease) return { kind: 'not-leader' };
  const committed: { plan: Plan; cluster: Cluster }[] = [];
  const effects: Effect[] = [];
  const done = (attempts: number, settled: boolean, after?: Cluster): PassOutcome => ({
    kind: 'done',
    committed,
    attempts,
    settled,
    effects,
    ...(after ? { after } : {}),
  });
  try {
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      let loaded = await loadActiveCluster(table);
      // A handler that died between the steps of a large change left records to settle;
      // they are settled before anything is placed (and cost no read when there are none).
      const now = options.now();
      const probe = repairs(loaded.cluster, { now, nextDriver: () => ({ id: '', seq: 0 }) });
      if (probe.cluster !== loaded.cluster) {
        await options.faults?.('repair');
        const repaired = await applyEvent(
          table,
          () => loadActiveCluster(table),
          (cluster, budget, ctx) => repairs(cluster, ctx, budget),
          { now, config, lease },
        );
        effects.push(...repaired.effects);
        loaded = await loadActiveCluster(table);
      }
      const plan = schedule(loaded.cluster, config, options.random);
      if (plan.drivers.length === 0 && plan.executors.length === 0) {
        await noteWarnings(table, loaded.cluster);
        return done(attempt, true, loaded.cluster);
      }
      const outcome = await commitPlan(table, loaded, plan, lease, now, options.faults);
      if (outcome.committed.drivers.length + outcome.committed.executors.length > 0) {
        committed.push({ plan: outcome.committed, cluster: loaded.cluster });
      }
      if (!outcome.conflict) {
        const after = applyPlan(loaded.cluster, plan, now).cluster;
        await noteWarnings(table, after);
        return done(attempt, true, after);
      }
    }
    return done(options.maxAttempts, false);
  } finally {
    // Hand over at once: the next nudge need not wait for the lease to expire.
    await options.faults?.('release lease');
    await releaseLease(table, lease);
  }
}
