// Forgetting completed applications and drivers (REST `clear`, retention). Nothing here
// holds capacity, so the deletions need not be one transaction: each is conditioned on the
// version read, and a crash halfway leaves records the next call forgets.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Transition } from '../core/lifecycle.js';
import type { Application, Cluster, Driver, Executor } from '../core/model.js';
import { executorKey } from '../core/model.js';
import { Contention } from './apply.js';
import { type LoadedCluster, queryPartition, versionKey } from './cluster.js';
import { MAX_TRANSACTION_ITEMS } from './commit-plan.js';
import { transitionWrites } from './commit-transition.js';
import { PK, recordFromItem } from './layout.js';
import type { Table } from './table.js';

/** Completed applications and drivers, and the ended executors, with their versions. */
export async function loadCompleted(table: Table): Promise<LoadedCluster> {
  const [apps, drivers, executors] = await Promise.all([
    queryPartition(table, PK.completedApplication),
    queryPartition(table, PK.completedDriver),
    queryPartition(table, PK.endedExecutor),
  ]);
  const versions = new Map<string, number>();
  const records = <T>(items: Record<string, unknown>[], id: (r: T) => string) =>
    Object.fromEntries(
      items.map((item) => {
        const { record, version } = recordFromItem<T>(item);
        versions.set(versionKey(String(item.pk), String(item.sk)), version);
        return [id(record), record];
      }),
    );
  const cluster: Cluster = {
    workers: {},
    applications: records<Application>(apps, (a) => a.id),
    drivers: records<Driver>(drivers, (d) => d.id),
    executors: records<Executor>(executors, (e) => executorKey(e.appId, e.id)),
  };
  return { cluster, generations: new Map(), versions };
}

/**
 * Deletes what the core drops from the completed records (`clearCompleted`, `trimRetention`),
 * a transaction per 100 records. Another caller deleting the same records at the same time
 * cancels a transaction: the records are read again and the rest deleted.
 */
export async function forgetCompleted(
  table: Table,
  decide: (completed: Cluster) => Transition,
): Promise<number> {
  let forgotten = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const loaded = await loadCompleted(table);
    const writes = transitionWrites(table, loaded, decide(loaded.cluster).cluster);
    try {
      for (let i = 0; i < writes.length; i += MAX_TRANSACTION_ITEMS) {
        const chunk = writes.slice(i, i + MAX_TRANSACTION_ITEMS);
        await table.doc.send(new TransactWriteCommand({ TransactItems: chunk }));
        forgotten += chunk.length;
      }
      return forgotten;
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
    }
  }
  throw new Contention('completed records kept changing while they were being forgotten');
}
