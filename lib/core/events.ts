// State-change events: every driver, application and worker state change, derived from what
// a transition changed. Each carries a stable id (its entity and the entity's state-change
// sequence number), so a consumer dedupes the copies an at-least-once delivery makes and
// orders one entity's changes by `seq`.

import { byId, type Cluster } from './model.js';

export type EntityKind = 'driver' | 'application' | 'worker';

/** EventBridge detail-types, after EMR Serverless' "EMR Serverless Job Run State Change". */
export const DETAIL_TYPES: Readonly<Record<EntityKind, string>> = {
  driver: 'Spark Driver State Change',
  application: 'Spark Application State Change',
  worker: 'Spark Worker State Change',
};

/** The events' `source`. */
export const EVENT_SOURCE = 'sparkplane';

export interface StateChange {
  /** `<kind>/<entity id>/<seq>`: the same for every copy of one change. */
  readonly id: string;
  readonly kind: EntityKind;
  readonly entityId: string;
  /** The entity's state-change count, 1 for its first state: its changes' order. */
  readonly seq: number;
  /** Absent for the entity's first state. */
  readonly from?: string;
  readonly to: string;
  /** Epoch ms of the transition. */
  readonly at: number;
  readonly workerId?: string;
  readonly appId?: string;
  /** A driver's exception, an executor-less reason, a worker's loss reason. */
  readonly message?: string;
  /** Drivers and applications: when they were submitted or registered (latencies). */
  readonly submitTimeMs?: number;
}

interface Staged {
  readonly state: string;
  readonly stateSeq?: number;
}

/** The next state-change count of a record whose state is `state` after being `before`. */
export function nextStateSeq(before: Staged | undefined, state: string): number | undefined {
  if (!before) return 1;
  if (before.state === state) return before.stateSeq;
  return (before.stateSeq ?? 0) + 1;
}

const change = (
  kind: EntityKind,
  entityId: string,
  before: Staged | undefined,
  after: Staged,
  at: number,
  extra: Pick<StateChange, 'workerId' | 'appId' | 'message' | 'submitTimeMs'>,
): StateChange => {
  const seq = after.stateSeq ?? 1;
  return {
    id: `${kind}/${entityId}/${seq}`,
    kind,
    entityId,
    seq,
    ...(before ? { from: before.state } : {}),
    to: after.state,
    at,
    ...extra,
  };
};

/** The state changes from `prev` to `next` at `at`, drivers, applications, then workers. */
export function stateChanges(prev: Cluster, next: Cluster, at: number): StateChange[] {
  const out: StateChange[] = [];
  if (prev.drivers !== next.drivers) {
    for (const d of Object.values(next.drivers)) {
      const b = byId(prev.drivers, d.id);
      if (b?.state === d.state) continue;
      out.push(
        change('driver', d.id, b, d, at, {
          submitTimeMs: d.submitTimeMs,
          ...(d.workerId === undefined ? {} : { workerId: d.workerId }),
          ...(d.appId === undefined ? {} : { appId: d.appId }),
          ...(d.exception === undefined ? {} : { message: d.exception }),
        }),
      );
    }
  }
  if (prev.applications !== next.applications) {
    for (const a of Object.values(next.applications)) {
      const b = byId(prev.applications, a.id);
      if (b?.state === a.state) continue;
      out.push(change('application', a.id, b, a, at, { submitTimeMs: a.submitTimeMs }));
    }
  }
  if (prev.workers !== next.workers) {
    for (const w of Object.values(next.workers)) {
      const b = byId(prev.workers, w.id);
      if (b?.state === w.state) continue;
      out.push(
        change('worker', w.id, b, w, at, {
          ...(w.lostReason === undefined ? {} : { message: w.lostReason }),
        }),
      );
    }
  }
  return out;
}
