// Paged lists of drivers and applications, newest first, that read only what they return:
// without a state, the active partition and then the completed one; with states, one
// partition of the `listing` index per state (layout.ts). A cursor says where the last page
// stopped: which partition, and DynamoDB's key there.

import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LISTING, LISTING_INDEX, listingValue, PK } from './layout.js';
import type { Table } from './table.js';

type Item = Record<string, unknown>;

export type ListedKind = 'driver' | 'application';

interface Source {
  readonly index?: string;
  readonly attribute: string;
  readonly value: string;
}

function sources(kind: ListedKind, states: readonly string[]): Source[] {
  if (states.length > 0) {
    return states.map((s) => ({
      index: LISTING_INDEX,
      attribute: LISTING,
      value: listingValue(kind, s),
    }));
  }
  return kind === 'driver'
    ? [
        { attribute: 'pk', value: PK.driver },
        { attribute: 'pk', value: PK.completedDriver },
      ]
    : [
        { attribute: 'pk', value: PK.application },
        { attribute: 'pk', value: PK.completedApplication },
      ];
}

export class BadCursor extends Error {
  override readonly name = 'BadCursor';
}

interface Cursor {
  readonly s: number;
  /** None: the partition from its start. */
  readonly k?: Record<string, string>;
}

const encode = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

/** A cursor this listing made, for the same states: anything else is refused. */
function decode(cursor: string, all: readonly Source[]): Cursor {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadCursor('cursor is not one this listing returned');
  }
  const { s, k } = (c ?? {}) as { s?: unknown; k?: unknown };
  const source = typeof s === 'number' ? all[s] : undefined;
  const key = (k ?? {}) as Record<string, unknown>;
  if (source && typeof k === 'object' && k !== null && Object.keys(key).length === 0)
    return { s: s as number };
  const expected = ['pk', 'sk', ...(source?.index ? [LISTING] : [])];
  if (
    !source ||
    typeof k !== 'object' ||
    Object.keys(key).sort().join() !== [...expected].sort().join() ||
    expected.some((name) => typeof key[name] !== 'string') ||
    key[source.attribute] !== source.value
  ) {
    throw new BadCursor('cursor is not one this listing returned (or was made for other states)');
  }
  return { s: s as number, k: key as Record<string, string> };
}

export async function listRecords(
  table: Table,
  kind: ListedKind,
  options: { states: readonly string[]; limit: number; cursor?: string },
): Promise<{ items: Item[]; cursor?: string }> {
  const all = sources(kind, options.states);
  let at: Cursor = options.cursor ? decode(options.cursor, all) : { s: 0 };
  const items: Item[] = [];
  for (let s = at.s; s < all.length; s++) {
    const source = all[s] as Source;
    const page = await table.doc.send(
      new QueryCommand({
        TableName: table.name,
        ...(source.index ? { IndexName: source.index } : {}),
        KeyConditionExpression: '#a = :v',
        ExpressionAttributeNames: { '#a': source.attribute },
        ExpressionAttributeValues: { ':v': source.value },
        ScanIndexForward: false,
        Limit: options.limit - items.length,
        ...(s === at.s && at.k ? { ExclusiveStartKey: at.k } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    if (page.LastEvaluatedKey) {
      return { items, cursor: encode({ s, k: page.LastEvaluatedKey as Record<string, string> }) };
    }
    if (items.length >= options.limit) {
      // This partition is done; the next page starts with the next one.
      return s + 1 < all.length ? { items, cursor: encode({ s: s + 1 }) } : { items };
    }
    at = { s: s + 1 };
  }
  return { items };
}
