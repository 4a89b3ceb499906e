// The HTTP API under test: the control plane on a fresh table, behind the local gateway,
// on the emulators the global setup started.
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { AUTH_OFF, type AuthConfig, jwsAuth } from '../../lib/api/auth.js';
import { type ControlPlane, startControlPlane } from '../../lib/local/control-plane.js';
import { LOCAL_AWS } from '../../lib/local/emulators.js';
import type { Table } from '../../lib/store/table.js';
import { uniqueName } from './aws.js';

export const randomKeys = () => ({ submission: randomBytes(32), worker: randomBytes(32) });

export async function startApi(
  options: {
    auth?: AuthConfig;
    scheduler?: boolean;
    sparkProperties?: Record<string, string>;
    placeholders?: string;
    now?: () => number;
  } = {},
): Promise<ControlPlane> {
  return startControlPlane({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    sqsEndpoint: inject('sqsEndpoint'),
    ...(process.env.AWS_ENDPOINT_URL ? {} : { aws: LOCAL_AWS }),
    tableName: uniqueName('api'),
    auth: options.auth ?? AUTH_OFF,
    scheduler: options.scheduler ?? false,
    cleanupEveryMs: 0,
    ...(options.sparkProperties ? { sparkProperties: options.sparkProperties } : {}),
    ...(options.placeholders ? { placeholders: options.placeholders } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

export const jws = (keys: { submission: Uint8Array; worker: Uint8Array }) =>
  jwsAuth(keys.submission, keys.worker);

/** Every item of the table, sorted: what "nothing changed" is checked against. */
export async function snapshot(table: Table): Promise<string> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(
      new ScanCommand({ TableName: table.name, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const keyed = items.map((i) => [`${i.pk} ${i.sk}`, i] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(keyed, (_k, v) => (v instanceof Set ? [...v].sort() : v));
}
