// Applies one event to the stored cluster: read what it touches, let the core decide,
// store the result in one transaction; on a conflict read again and decide again. A
// decision too large for one transaction is taken in bounded steps (the core's budget),
// and the repairs finish the rest before the caller answers.

import type { MasterConfig } from '../core/config.js';
import { driverId } from '../core/ids.js';
import {
  type Budget,
  type Context,
  type DriverIdentity,
  type Effect,
  repairs,
  type Transition,
} from '../core/lifecycle.js';
import type { Cluster } from '../core/model.js';
import type { LoadedCluster } from './cluster.js';
import { MAX_TRANSACTION_ITEMS } from './commit-plan.js';
import { commitTransition, transitionWrites } from './commit-transition.js';
import { reserveNumbers } from './counters.js';
import type { Lease } from './lease.js';
import type { Table } from './table.js';

/** Executors and drivers settled per transaction: at most 4 writes each, well under 100. */
export const DEFAULT_BUDGET = 20;

/** Conflicts outlasted every attempt: the caller may retry later (HTTP 503). */
export class Contention extends Error {
  override readonly name = 'Contention';
}

export interface ApplyOptions {
  readonly now: number;
  readonly config: Pick<MasterConfig, 'driverIdPattern'>;
  readonly lease?: Lease;
  readonly attempts?: number;
  readonly budget?: Budget;
}

export interface Applied<T> {
  /** The first step's decision, as the core returned it. */
  readonly decision: T;
  /** Every effect of every step, in order. */
  readonly effects: readonly Effect[];
  /** The cluster after the last step, as far as the scope reaches. */
  readonly cluster: Cluster;
}

/**
 * A context whose relaunched drivers get ids reserved from the counter. The decision is
 * tried once with placeholder ids to count them, so an event that relaunches nothing
 * reserves nothing.
 */
async function contextFor(
  table: Table,
  options: ApplyOptions,
  decide: (ctx: Context) => unknown,
): Promise<() => Context> {
  let wanted = 0;
  decide({
    now: options.now,
    nextDriver: () => ({ id: `counting-${wanted}`, seq: wanted++ }),
  });
  const first = wanted > 0 ? await reserveNumbers(table, 'driver', wanted) : 0;
  return () => {
    let n = first;
    return {
      now: options.now,
      nextDriver: (): DriverIdentity => {
        if (n >= first + wanted) throw new Error('relaunch ids were not reserved');
        const seq = n++;
        return { id: driverId(options.config.driverIdPattern, options.now, seq), seq };
      },
    };
  };
}

/** Decides with the largest budget whose writes fit in one transaction. */
function fitting<T extends Transition>(
  table: Table,
  loaded: LoadedCluster,
  budget: Budget,
  decide: (cluster: Cluster, budget: Budget) => T,
  lease: Lease | undefined,
): T {
  let b = budget;
  for (;;) {
    const t = decide(loaded.cluster, b);
    if (b <= 1) return t;
    if (transitionWrites(table, loaded, t.cluster, lease).length <= MAX_TRANSACTION_ITEMS) return t;
    b = Math.floor(b / 2);
  }
}

async function step<T extends Transition>(
  table: Table,
  load: () => Promise<LoadedCluster>,
  options: ApplyOptions,
  decide: (cluster: Cluster, budget: Budget, ctx: Context) => T,
): Promise<T> {
  const budget = options.budget ?? DEFAULT_BUDGET;
  for (let attempt = 0; attempt < (options.attempts ?? 5); attempt++) {
    const loaded = await load();
    const ctx = await contextFor(table, options, (c) => decide(loaded.cluster, budget, c));
    const t = fitting(
      table,
      loaded,
      budget,
      (cluster, b) => decide(cluster, b, ctx()),
      options.lease,
    );
    if (await commitTransition(table, loaded, t.cluster, options.lease, options.now)) return t;
  }
  throw new Contention('the records kept changing while this change was being stored');
}

export async function applyEvent<T extends Transition>(
  table: Table,
  load: () => Promise<LoadedCluster>,
  decide: (cluster: Cluster, budget: Budget, ctx: Context) => T,
  options: ApplyOptions,
): Promise<Applied<T>> {
  const decision = await step(table, load, options, decide);
  const effects = [...decision.effects];
  let last: Transition = decision;
  while (last.unsettled) {
    last = await step(table, load, options, (cluster, budget, ctx) =>
      repairs(cluster, ctx, budget),
    );
    effects.push(...last.effects);
  }
  return { decision, effects, cluster: last.cluster };
}
