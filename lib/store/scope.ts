// Reading the part of the cluster one event touches, instead of all of it. A scope is
// closed under what the core's transitions and repairs look at: every executor comes with
// its application (active or completed) and its worker, every placed driver with its
// worker and its application, so a repair never mistakes a record it did not read for one that is gone.

import { BatchGetCommand, paginateQuery, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { StateChange } from '../core/events.js';
import type { Application, Cluster, Driver, Executor, Worker } from '../core/model.js';
import { executorKey, isDriverActive, isDriverWaiting } from '../core/model.js';
import { type LoadedCluster, versionKey } from './cluster.js';
import {
  addressKey,
  addressWorkers,
  type Key,
  PK,
  recordFromItem,
  workerFromItem,
  workerKey,
} from './layout.js';
import { OUTBOX, outboxOf } from './outbox.js';
import type { Table } from './table.js';

export interface Scope {
  /** Workers by id. */
  readonly workers?: readonly string[];
  /** Workers by id, with every executor and driver placed on them. */
  readonly workersWithAssigned?: readonly string[];
  /** Applications by id, active or completed, with their live executors. */
  readonly applications?: readonly string[];
  /** Drivers by id, active or completed. */
  readonly drivers?: readonly string[];
}

type Item = Record<string, unknown>;

const BATCH_GET_KEYS = 100;

/** Strongly consistent BatchGetItem of any number of keys, unprocessed keys retried. */
export async function getItems(table: Table, keys: readonly Key[]): Promise<Item[]> {
  const unique = [...new Map(keys.map((k) => [versionKey(k.pk, k.sk), k])).values()];
  const items: Item[] = [];
  for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
    let pending: Key[] | undefined = unique.slice(i, i + BATCH_GET_KEYS);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await table.doc.send(
        new BatchGetCommand({
          RequestItems: { [table.name]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      items.push(...(out.Responses?.[table.name] ?? []));
      pending = out.UnprocessedKeys?.[table.name]?.Keys as Key[] | undefined;
    }
  }
  return items;
}

/** Items of one partition whose sort key starts with a prefix, strongly consistent. */
export async function queryPrefix(table: Table, pk: string, prefix: string): Promise<Item[]> {
  const items: Item[] = [];
  const pages = paginateQuery(
    { client: table.doc },
    {
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: true,
    },
  );
  for await (const page of pages as AsyncIterable<QueryCommandOutput>) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

class Collected {
  readonly workers: Record<string, Worker> = {};
  readonly applications: Record<string, Application> = {};
  readonly executors: Record<string, Executor> = {};
  readonly drivers: Record<string, Driver> = {};
  readonly generations = new Map<string, number>();
  readonly versions = new Map<string, number>();
  readonly outboxes = new Map<string, readonly StateChange[]>();

  add(item: Item): void {
    const pk = String(item.pk);
    if (pk === PK.worker) {
      const { worker, generation } = workerFromItem(item);
      this.workers[worker.id] = worker;
      this.generations.set(worker.id, generation);
      return;
    }
    const { record, version } = recordFromItem<object>(item);
    this.versions.set(versionKey(pk, String(item.sk)), version);
    if (item[OUTBOX]) this.outboxes.set(versionKey(pk, String(item.sk)), outboxOf(item));
    if (pk === PK.application || pk === PK.completedApplication) {
      const app = record as Application;
      this.applications[app.id] = app;
    } else if (pk === PK.driver || pk === PK.completedDriver) {
      const driver = record as Driver;
      this.drivers[driver.id] = driver;
    } else if (pk === PK.executor || pk === PK.endedExecutor) {
      const e = record as Executor;
      this.executors[executorKey(e.appId, e.id)] = e;
    }
  }

  /** Keys of records the scope must also hold, and does not yet. */
  missing(): Key[] {
    const keys: Key[] = [];
    const worker = (id: string) => {
      if (!this.workers[id]) keys.push(workerKey(id));
    };
    for (const e of Object.values(this.executors)) {
      worker(e.workerId);
      if (!this.applications[e.appId]) keys.push(...applicationKeys(e.appId));
    }
    for (const d of Object.values(this.drivers)) {
      if (d.workerId !== undefined && isDriverActive(d.state) && !isDriverWaiting(d)) {
        worker(d.workerId);
      }
    }
    return keys;
  }

  loaded(): LoadedCluster {
    const cluster: Cluster = {
      workers: this.workers,
      applications: this.applications,
      executors: this.executors,
      drivers: this.drivers,
    };
    return {
      cluster,
      generations: this.generations,
      versions: this.versions,
      outboxes: this.outboxes,
    };
  }
}

const applicationKeys = (id: string): Key[] => [
  { pk: PK.application, sk: id },
  { pk: PK.completedApplication, sk: id },
];

const driverKeys = (id: string): Key[] => [
  { pk: PK.driver, sk: id },
  { pk: PK.completedDriver, sk: id },
];

/** Reads a scope: one BatchGet, a Query per application, and one more BatchGet if needed. */
export async function loadScope(table: Table, scope: Scope): Promise<LoadedCluster> {
  const collected = new Collected();
  const workerIds = [...(scope.workers ?? []), ...(scope.workersWithAssigned ?? [])];
  const [items, ...executorPages] = await Promise.all([
    getItems(table, [
      ...workerIds.map(workerKey),
      ...(scope.applications ?? []).flatMap(applicationKeys),
      ...(scope.drivers ?? []).flatMap(driverKeys),
    ]),
    ...(scope.applications ?? []).map((id) => queryPrefix(table, PK.executor, `${id}/`)),
  ]);
  for (const item of [...items, ...executorPages.flat()]) collected.add(item);

  const assigned: Key[] = [];
  for (const id of scope.workersWithAssigned ?? []) {
    const item = items.find((i) => i.pk === PK.worker && i.sk === id);
    for (const a of item ? workerFromItem(item).assigned : []) {
      if (a.kind === 'executor') {
        assigned.push({ pk: PK.executor, sk: executorKey(a.appId ?? '', a.executorId ?? 0) });
      } else if (a.driverId !== undefined) {
        assigned.push(...driverKeys(a.driverId));
      }
    }
  }
  if (assigned.length > 0) for (const item of await getItems(table, assigned)) collected.add(item);
  // A driver's end finishes its application: the application comes with its executors.
  const linked = Object.values(collected.drivers)
    .map((d) => d.appId)
    .filter((id): id is string => id !== undefined && !collected.applications[id]);
  if (linked.length > 0) {
    const [apps, ...pages] = await Promise.all([
      getItems(table, linked.flatMap(applicationKeys)),
      ...linked.map((id) => queryPrefix(table, PK.executor, `${id}/`)),
    ]);
    for (const item of [...apps, ...pages.flat()]) collected.add(item);
  }
  const more = collected.missing();
  if (more.length > 0) for (const item of await getItems(table, more)) collected.add(item);
  return collected.loaded();
}

/**
 * What a registration at `address` reads: the workers listed there (and the registering
 * id), with what runs on them, and the version of the address item that lists them.
 */
export async function loadRegistration(
  table: Table,
  workerId: string,
  address: string,
): Promise<LoadedCluster> {
  const [item] = await getItems(table, [addressKey(address)]);
  const loaded = await loadScope(table, {
    workersWithAssigned: [...new Set([...addressWorkers(item), workerId])],
  });
  const versions = new Map(loaded.versions);
  versions.set(versionKey(PK.address, address), Number(item?.version ?? 0));
  return { ...loaded, versions };
}
