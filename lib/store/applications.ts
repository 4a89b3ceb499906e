// Applications as their drivers read them: the record and every executor it ever had.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Application, Executor } from '../core/model.js';
import { PK, recordFromItem } from './layout.js';
import { getItems, queryPrefix } from './scope.js';
import { conditional, type Table } from './table.js';

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

/**
 * Renews an active application's liveness lease. Only `leaseRenewedMs` is written and the
 * version is kept, so a renewal never conflicts with a transition; a transition that read
 * the record just before may write back the older time, which the next renewal corrects.
 */
export async function renewApplicationLease(
  table: Table,
  appId: string,
  now: number,
): Promise<void> {
  await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: PK.application, sk: appId },
        UpdateExpression: 'SET leaseRenewedMs = :now',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(leaseRenewedMs) OR leaseRenewedMs < :now)',
        ExpressionAttributeValues: { ':now': now },
      }),
    ),
  );
}

/**
 * Sets or clears an active application's warning. Like the lease renewal, the version is
 * kept, so it never conflicts with a transition; one that read the record before may write
 * the older warning back, which the next pass corrects.
 */
export async function writeApplicationWarning(
  table: Table,
  appId: string,
  warning: string | undefined,
): Promise<void> {
  await conditional(() =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: PK.application, sk: appId },
        ...(warning === undefined
          ? { UpdateExpression: 'REMOVE warning' }
          : {
              UpdateExpression: 'SET warning = :warning',
              ExpressionAttributeValues: { ':warning': warning },
            }),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    ),
  );
}
