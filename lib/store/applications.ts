// Applications as their drivers read them: the record and every executor it ever had.
import type { Application, Executor } from '../core/model.js';
import { PK, recordFromItem } from './layout.js';
import { getItems, queryPrefix } from './scope.js';
import type { Table } from './table.js';

export async function readApplication(
  table: Table,
  appId: string,
): Promise<{ application: Application; executors: Executor[] } | undefined> {
  const [apps, live, ended] = await Promise.all([
    getItems(table, [
      { pk: PK.application, sk: appId },
      { pk: PK.completedApplication, sk: appId },
    ]),
    queryPrefix(table, PK.executor, `${appId}/`),
    queryPrefix(table, PK.endedExecutor, `${appId}/`),
  ]);
  const item = apps[0];
  if (!item) return undefined;
  const executors = [...live, ...ended]
    .map((i) => recordFromItem<Executor>(i).record)
    .sort((a, b) => a.id - b.id);
  return { application: recordFromItem<Application>(item).record, executors };
}
