// The paged lists of drivers and applications, on DynamoDB Local: newest first, by state,
// following cursors, and reading only what they return (Queries, never a Scan).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../lib/api/auth.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { jws, randomKeys, snapshot, startApi } from './api.js';

let cp: ControlPlane;
const keys = randomKeys();
let token: string;
const sent: { name: string; scanned?: number; returned?: number }[] = [];
const ids: string[] = [];

async function call(method: string, path: string, body?: unknown, bearer: string | null = token) {
  const r = await fetch(`${cp.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

type Listed = { drivers: { driverId: string; state: string }[]; cursor?: string };
const list = async (query: string) => (await call('GET', `/v1/drivers${query}`)).body as Listed;

/** Every page of a listing, following its cursors. */
async function pages(query: string): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(page.drivers.map((d) => `${d.driverId} ${d.state}`));
    cursor = page.cursor;
  } while (cursor);
  return out.filter((p) => p.length > 0);
}

beforeAll(async () => {
  // No scheduler: the drivers stay SUBMITTED, unless killed.
  cp = await startApi({ auth: jws(keys) });
  token = await mintToken(keys.submission);
  for (let i = 0; i < 5; i++) {
    const created = await call('POST', '/v1/submissions/create', {
      action: 'CreateSubmissionRequest',
      appResource: 'file:/app.py',
      mainClass: 'org.apache.spark.deploy.SparkSubmit',
      clientSparkVersion: '4.1.1',
      appArgs: [],
      sparkProperties: {},
      environmentVariables: {},
    });
    ids.push(String(created.body.submissionId));
  }
  for (const id of [ids[1], ids[3]]) await call('POST', `/v1/submissions/kill/${id}`);
  // What the listings send to DynamoDB, from here on.
  const doc = cp.deps.table.doc;
  const send = doc.send.bind(doc);
  doc.send = (async (command: { constructor: { name: string } }) => {
    const out = (await send(command as never)) as { ScannedCount?: number; Count?: number };
    sent.push({ name: command.constructor.name, scanned: out.ScannedCount, returned: out.Count });
    return out;
  }) as typeof doc.send;
});
afterAll(async () => {
  await cp?.close();
});

describe('GET /v1/drivers', () => {
  it('lists active drivers, then completed ones, newest first, in pages', async () => {
    const [a, b, c, d, e] = ids;
    expect(await pages('?limit=2')).toEqual([
      [`${e} SUBMITTED`, `${c} SUBMITTED`],
      // A page goes on into the completed drivers.
      [`${a} SUBMITTED`, `${d} KILLED`],
      [`${b} KILLED`],
    ]);
    expect(await pages('?limit=100')).toEqual([
      [`${e} SUBMITTED`, `${c} SUBMITTED`, `${a} SUBMITTED`, `${d} KILLED`, `${b} KILLED`],
    ]);
  });

  it('by state, from the listing index, reading only what it returns', async () => {
    sent.length = 0;
    const [a, b, c, d, e] = ids;
    expect(await pages('?state=KILLED&limit=1')).toEqual([[`${d} KILLED`], [`${b} KILLED`]]);
    expect(await pages('?state=submitted,KILLED&limit=10')).toEqual([
      [`${e} SUBMITTED`, `${c} SUBMITTED`, `${a} SUBMITTED`, `${d} KILLED`, `${b} KILLED`],
    ]);
    expect(await pages('?state=FINISHED')).toEqual([]);
    expect(sent.every((s) => s.name === 'QueryCommand')).toBe(true);
    expect(sent.every((s) => s.scanned === s.returned)).toBe(true);
  });

  it('refuses a bad state, limit or cursor with a 400 that names it, and changes nothing', async () => {
    const before = await snapshot(cp.deps.table);
    const cursor = (await list('?limit=1')).cursor as string;
    const forged = Buffer.from(JSON.stringify({ s: 0, k: { pk: 'WORKER', sk: 'x' } })).toString(
      'base64url',
    );
    for (const [query, named] of [
      ['?state=DONE', 'state'],
      ['?limit=0', 'limit'],
      ['?limit=1001', 'limit'],
      ['?limit=two', 'limit'],
      ['?cursor=garbage', 'cursor'],
      [`?cursor=${forged}`, 'cursor'],
      // A cursor of one listing is not another's.
      [`?state=KILLED&cursor=${cursor}`, 'cursor'],
      [`?cursor=${'x'.repeat(3000)}`, 'cursor'],
    ] as const) {
      const r = await call('GET', `/v1/drivers${query}`);
      expect([query, r.status]).toEqual([query, 400]);
      expect(String(r.body.message)).toContain(named);
    }
    expect(await snapshot(cp.deps.table)).toBe(before);
  });

  it('needs a submission credential', async () => {
    expect((await call('GET', '/v1/drivers', undefined, null)).status).toBe(401);
    const worker = await mintToken(keys.worker);
    expect((await call('GET', '/v1/drivers', undefined, worker)).status).toBe(403);
  });
});

describe('GET /v1/applications', () => {
  it('lists applications by state; POST /v1/applications still registers', async () => {
    expect((await call('GET', '/v1/applications')).body).toEqual({ applications: [] });
    expect((await call('GET', '/v1/applications?state=RUNNING')).body).toEqual({
      applications: [],
    });
    expect((await call('GET', '/v1/applications?state=SUBMITTED')).status).toBe(400);
    // Registration is the applications function's: a submission credential without an
    // application is refused there with its own validation, not by the listing.
    const r = await call('POST', '/v1/applications', {});
    expect(r.status).toBe(400);
  });
});
