// One scheduling pass as the scheduler function runs it: take the lease, read the active
// cluster, plan with the core, commit; on a conflict read again and plan again (bounded).

import type { Cluster } from '../core/model.js';
import type { Plan, SchedulingConfig } from '../core/schedule.js';
import { schedule } from '../core/schedule.js';
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
    };

export async function runSchedulingPass(
  table: Table,
  config: SchedulingConfig,
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
  try {
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      const loaded = await loadActiveCluster(table);
      const plan = schedule(loaded.cluster, config, options.random);
      if (plan.drivers.length === 0 && plan.executors.length === 0) {
        return { kind: 'done', committed, attempts: attempt, settled: true };
      }
      const outcome = await commitPlan(table, loaded, plan, lease, options.faults);
      if (outcome.committed.drivers.length + outcome.committed.executors.length > 0) {
        committed.push({ plan: outcome.committed, cluster: loaded.cluster });
      }
      if (!outcome.conflict) return { kind: 'done', committed, attempts: attempt, settled: true };
    }
    return { kind: 'done', committed, attempts: options.maxAttempts, settled: false };
  } finally {
    // Hand over at once: the next nudge need not wait for the lease to expire.
    await options.faults?.('release lease');
    await releaseLease(table, lease);
  }
}
