// The one DynamoDB table and its key layout: every key the store writes is made here.
//
//   pk              sk                     what
//   WORKER          <workerId>             every listed worker, DEAD ones included
//   DRIVER          <driverId>             active drivers (waiting and running)
//   DRIVER#DONE     <driverId>             completed drivers kept for retention
//   APP             <appId>                active applications
//   APP#DONE        <appId>                completed applications kept for retention
//   EXEC            <appId>/<executorId>   executors an application still counts (or, when
//                                          DECOMMISSIONED, that still hold worker capacity)
//   EXEC#DONE       <appId>/<executorId>   executors that ended
//   COUNTER         app | driver           id counters (atomic ADD)
//   LEASE           <name>                 the fenced leader lease
//   IDEMPOTENCY     <Idempotency-Key>      the driver a keyed REST create made (TTL: expiresAt)
//   POOL            workers                the elastic pool: launches pending, idle workers
//   ADDRESS         <host>:<port>          the workers listed at that address (`w:<id>`
//                                          attributes) and a version: a registration
//                                          reads this, not every worker
//
// Workers, drivers and applications carry `outbox` while state-change events written with
// them wait to be published (outbox.ts), and `stateSeq`, the count of their states.
//
// Drivers and applications also carry `listing` (`DRIVER#<state>`, `APP#<state>`), the
// partition key of the `listing` index (sort key `sk`): a list by state reads only what it
// returns (listing.ts).
//
// The scheduling pass reads the WORKER, DRIVER, APP and EXEC partitions with strongly
// consistent Queries: what it reads is independent of how many completed drivers and
// applications are retained, and a write acknowledged before a nudge is always seen.
// A record that completes moves to its #DONE partition in the same transaction.

import {
  type Application,
  type Driver,
  type Executor,
  executorKey,
  isApplicationActive,
  isDriverActive,
  isExecutorLive,
  type ResourceAddresses,
  type Worker,
} from '../core/model.js';

export const PK = {
  worker: 'WORKER',
  driver: 'DRIVER',
  completedDriver: 'DRIVER#DONE',
  application: 'APP',
  completedApplication: 'APP#DONE',
  executor: 'EXEC',
  endedExecutor: 'EXEC#DONE',
  counter: 'COUNTER',
  lease: 'LEASE',
  idempotency: 'IDEMPOTENCY',
  pool: 'POOL',
  address: 'ADDRESS',
} as const;

/** The table's TTL attribute (epoch seconds). DynamoDB deletes late: reads check it too. */
export const EXPIRES_AT = 'expiresAt';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

export const workerKey = (id: string): Key => ({ pk: PK.worker, sk: id });

export const addressKey = (hostPort: string): Key => ({ pk: PK.address, sk: hostPort });

/** The attribute of an address item that lists one worker. */
export const ADDRESS_WORKER_PREFIX = 'w:';

/** The worker ids an address item lists. */
export const addressWorkers = (item: Record<string, unknown> | undefined): string[] =>
  Object.keys(item ?? {})
    .filter((k) => k.startsWith(ADDRESS_WORKER_PREFIX))
    .map((k) => k.slice(ADDRESS_WORKER_PREFIX.length));

export const driverKey = (d: Pick<Driver, 'id' | 'state'>): Key => ({
  pk: isDriverActive(d.state) ? PK.driver : PK.completedDriver,
  sk: d.id,
});

export const applicationKey = (a: Pick<Application, 'id' | 'state'>): Key => ({
  pk: isApplicationActive(a.state) ? PK.application : PK.completedApplication,
  sk: a.id,
});

/** DECOMMISSIONED executors still run and hold capacity: they stay with the live ones. */
export const executorItemKey = (e: Pick<Executor, 'appId' | 'id' | 'state'>): Key => ({
  pk: isExecutorLive(e.state) || e.state === 'DECOMMISSIONED' ? PK.executor : PK.endedExecutor,
  sk: executorKey(e.appId, e.id),
});

export const LISTING = 'listing';
export const LISTING_INDEX = 'listing';

export const listingValue = (kind: 'driver' | 'application', state: string): string =>
  `${kind === 'driver' ? 'DRIVER' : 'APP'}#${state}`;

const LISTED: Readonly<Record<string, 'driver' | 'application'>> = {
  [PK.driver]: 'driver',
  [PK.completedDriver]: 'driver',
  [PK.application]: 'application',
  [PK.completedApplication]: 'application',
};

/** Bookkeeping attributes that are not part of a core record. */
const STORE_ATTRIBUTES = [
  'pk',
  'sk',
  'version',
  'generation',
  'assigned',
  LISTING,
  // The record's unpublished state-change events (lib/store/outbox.ts).
  'outbox',
] as const;

type Item = Record<string, unknown>;

function strip(item: Item): Item {
  const out: Item = { ...item };
  for (const a of STORE_ATTRIBUTES) delete out[a];
  return out;
}

/** Sets (how DynamoDB holds used addresses) back to sorted address lists. */
function addressesFromItem(value: unknown): ResourceAddresses {
  const out: Record<string, string[]> = {};
  for (const [name, addrs] of Object.entries((value ?? {}) as Record<string, Iterable<string>>)) {
    out[name] = [...addrs].sort();
  }
  return out;
}

/** What a worker should be running, kept on its item so that one read answers it. */
export interface Assignment {
  readonly kind: 'executor' | 'driver';
  readonly appId?: string;
  readonly executorId?: number;
  readonly resourceProfileId?: number;
  readonly driverId?: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
}

/** The key of an assignment inside the worker item's `assigned` map. */
export const assignmentKey = (a: Assignment): string =>
  a.kind === 'executor' ? `executor ${a.appId}/${a.executorId}` : `driver ${a.driverId}`;

export const executorAssignment = (
  e: Pick<Executor, 'appId' | 'id' | 'resourceProfileId' | 'cores' | 'memoryMb' | 'resources'>,
): Assignment => ({
  kind: 'executor',
  appId: e.appId,
  executorId: e.id,
  resourceProfileId: e.resourceProfileId,
  cores: e.cores,
  memoryMb: e.memoryMb,
  resources: e.resources,
});

export const driverAssignment = (
  d: Pick<Driver, 'id' | 'resources'> & { description: { cores: number; memoryMb: number } },
): Assignment => ({
  kind: 'driver',
  driverId: d.id,
  cores: d.description.cores,
  memoryMb: d.description.memoryMb,
  resources: d.resources,
});

export interface StoredWorker {
  readonly worker: Worker;
  /** Changes whenever what the worker should run changes. */
  readonly generation: number;
  readonly assigned: readonly Assignment[];
}

export function workerItem(w: Worker, assigned: readonly Assignment[] = [], generation = 0): Item {
  const resourcesUsed: Record<string, Set<string>> = {};
  for (const [name, addrs] of Object.entries(w.resourcesUsed)) {
    if (addrs.length > 0) resourcesUsed[name] = new Set(addrs);
  }
  return {
    ...workerKey(w.id),
    ...w,
    resourcesUsed,
    assigned: Object.fromEntries(assigned.map((a) => [assignmentKey(a), a])),
    generation,
  };
}

export function workerFromItem(item: Item): StoredWorker {
  const worker = { ...strip(item), resourcesUsed: addressesFromItem(item.resourcesUsed) } as Worker;
  const assigned = Object.values((item.assigned ?? {}) as Record<string, Assignment>).sort(
    (a, b) => (assignmentKey(a) < assignmentKey(b) ? -1 : 1),
  );
  return { worker, generation: Number(item.generation ?? 0), assigned };
}

export interface Versioned<T> {
  readonly record: T;
  readonly version: number;
}

export function recordItem(key: Key, record: object, version: number): Item {
  const listed = LISTED[key.pk];
  const state = (record as { state?: string }).state;
  return {
    ...key,
    ...record,
    version,
    ...(listed && state ? { [LISTING]: listingValue(listed, state) } : {}),
  };
}

export function recordFromItem<T>(item: Item): Versioned<T> {
  return { record: strip(item) as T, version: Number(item.version ?? 0) };
}
