// Reading and seeding cluster state.

import { PutCommand, paginateQuery, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { StateChange } from '../core/events.js';
import { assignedTo } from '../core/lifecycle.js';
import type { Application, Cluster, Driver, Executor, Worker } from '../core/model.js';
import { executorKey, hostPort } from '../core/model.js';
import {
  ADDRESS_WORKER_PREFIX,
  addressKey,
  applicationKey,
  driverAssignment,
  driverKey,
  executorAssignment,
  executorItemKey,
  PK,
  recordFromItem,
  recordItem,
  type StoredWorker,
  workerFromItem,
  workerItem,
} from './layout.js';
import { OUTBOX, outboxOf } from './outbox.js';
import type { Table } from './table.js';

/** The active cluster plus what the store needs to write it back. */
export interface LoadedCluster {
  readonly cluster: Cluster;
  readonly generations: ReadonlyMap<string, number>;
  readonly versions: ReadonlyMap<string, number>;
  /** Unpublished events of drivers and applications read, by version key: a rewrite keeps them. */
  readonly outboxes?: ReadonlyMap<string, readonly StateChange[]>;
}

/** Version map key of a record: its partition and sort key. */
export const versionKey = (pk: string, sk: string): string => `${pk} ${sk}`;

export async function queryPartition(table: Table, pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: table.doc },
    {
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    },
  );
  for await (const page of pages as AsyncIterable<QueryCommandOutput>) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/**
 * Everything a scheduling pass needs: listed workers, active drivers and applications and
 * their executors — four strongly consistent Queries, however many records are retained.
 */
export async function loadActiveCluster(table: Table): Promise<LoadedCluster> {
  const [workerItems, driverItems, appItems, executorItems] = await Promise.all([
    queryPartition(table, PK.worker),
    queryPartition(table, PK.driver),
    queryPartition(table, PK.application),
    queryPartition(table, PK.executor),
  ]);
  const generations = new Map<string, number>();
  const versions = new Map<string, number>();
  const outboxes = new Map<string, readonly StateChange[]>();
  const workers: Record<string, Worker> = {};
  for (const item of workerItems) {
    const { worker, generation }: StoredWorker = workerFromItem(item);
    workers[worker.id] = worker;
    generations.set(worker.id, generation);
  }
  const drivers: Record<string, Driver> = {};
  for (const item of driverItems) {
    const { record, version } = recordFromItem<Driver>(item);
    drivers[record.id] = record;
    versions.set(versionKey(PK.driver, record.id), version);
    if (item[OUTBOX]) outboxes.set(versionKey(PK.driver, record.id), outboxOf(item));
  }
  const applications: Record<string, Application> = {};
  for (const item of appItems) {
    const { record, version } = recordFromItem<Application>(item);
    applications[record.id] = record;
    versions.set(versionKey(PK.application, record.id), version);
    if (item[OUTBOX]) outboxes.set(versionKey(PK.application, record.id), outboxOf(item));
  }
  const executors: Record<string, Executor> = {};
  for (const item of executorItems) {
    const { record, version } = recordFromItem<Executor>(item);
    const key = executorKey(record.appId, record.id);
    executors[key] = record;
    versions.set(versionKey(PK.executor, key), version);
  }
  return {
    cluster: { workers, applications, executors, drivers },
    generations,
    versions,
    outboxes,
  };
}

/** Writes records as they are (tests and seeding): version 0, generation 0. */
export async function putRecords(
  table: Table,
  records: {
    workers?: readonly Worker[];
    drivers?: readonly Driver[];
    applications?: readonly Application[];
    executors?: readonly Executor[];
  },
): Promise<void> {
  const cluster = {
    workers: {},
    applications: {},
    executors: Object.fromEntries(
      (records.executors ?? []).map((e) => [executorKey(e.appId, e.id), e]),
    ),
    drivers: Object.fromEntries((records.drivers ?? []).map((d) => [d.id, d])),
  };
  const items = [
    ...(records.workers ?? []).map((w) => {
      const { executors, drivers } = assignedTo(cluster, w.id);
      return workerItem(w, [
        ...executors.map(executorAssignment),
        ...drivers.map(driverAssignment),
      ]);
    }),
    ...(records.drivers ?? []).map((d) => recordItem(driverKey(d), d, 0)),
    ...(records.applications ?? []).map((a) => recordItem(applicationKey(a), a, 0)),
    ...(records.executors ?? []).map((e) => recordItem(executorItemKey(e), e, 0)),
  ];
  const addresses = new Map<string, Record<string, unknown>>();
  for (const w of records.workers ?? []) {
    const key = addressKey(hostPort(w));
    const item = addresses.get(key.sk) ?? { ...key, version: 1 };
    item[`${ADDRESS_WORKER_PREFIX}${w.id}`] = 1;
    addresses.set(key.sk, item);
  }
  items.push(...addresses.values());
  await Promise.all(
    items.map((Item) =>
      table.doc.send(
        new PutCommand({
          TableName: table.name,
          Item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ),
  );
}

/**
 * What the master lists (`/json`, the UI): the active cluster plus the retained completed
 * applications and drivers — six Queries. Ended executors are not listed.
 */
export async function loadListedCluster(table: Table): Promise<Cluster> {
  const [active, doneApps, doneDrivers] = await Promise.all([
    loadActiveCluster(table),
    queryPartition(table, PK.completedApplication),
    queryPartition(table, PK.completedDriver),
  ]);
  const applications = { ...active.cluster.applications };
  for (const item of doneApps) {
    const app = recordFromItem<Application>(item).record;
    applications[app.id] = app;
  }
  const drivers = { ...active.cluster.drivers };
  for (const item of doneDrivers) {
    const driver = recordFromItem<Driver>(item).record;
    drivers[driver.id] = driver;
  }
  return { ...active.cluster, applications, drivers };
}

/** Every listed worker: what the timeout checks and the ECS task events read. */
export async function loadWorkers(table: Table): Promise<Record<string, Worker>> {
  const workers: Record<string, Worker> = {};
  for (const item of await queryPartition(table, PK.worker)) {
    const { worker } = workerFromItem(item);
    workers[worker.id] = worker;
  }
  return workers;
}

/** The records of one partition, by id. */
async function recordsOf<T extends { readonly id: string }>(
  table: Table,
  pk: string,
): Promise<Record<string, T>> {
  const records: Record<string, T> = {};
  for (const item of await queryPartition(table, pk)) {
    const { record } = recordFromItem<T>(item);
    records[record.id] = record;
  }
  return records;
}

/** Every active application, without its executors. */
export const loadActiveApplications = (table: Table): Promise<Record<string, Application>> =>
  recordsOf<Application>(table, PK.application);

/** Every active driver: what the drivers' timeout checks read. */
export const loadActiveDrivers = (table: Table): Promise<Record<string, Driver>> =>
  recordsOf<Driver>(table, PK.driver);
