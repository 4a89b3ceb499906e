// Every route of PROTOCOL.md fuzzed over real HTTP: arbitrary methods, paths, headers and
// bodies, and above all mutations of each route's valid body. The property, for every
// request: no 5xx; when it is refused (a 4xx, Spark's `success: false`, a worker report
// that is not applied) the table is exactly as it was; when it is accepted, GET /json (which
// reads every worker, driver and application) still answers, so no accepted request leaves
// something behind that breaks the API for everyone after it.
//
// One control plane for the file, seeded through the API (two workers, a driver, an
// application, one scheduling pass) so that paths can name real workers, drivers,
// applications and executors. Requests go out through node:http rather than fetch: it
// sends the path byte for byte (fetch's URL parser would resolve `..` and re-encode), and
// it lets GET and HEAD carry a body. Routes that end things (killall, decommission, kill,
// DELETE) run last, so the routes before them see live drivers, applications, executors.
// A last test sends HEAD and OPTIONS to every route with real ids.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { snapshot, startApi } from './api.js';

/** Runs per route: the whole file stays well under a minute on two cores. */
const RUNS = 50;
/** fast-check stops (and reports what it has) rather than let vitest time the test out. */
const TIME_LIMIT_MS = 45_000;

let cp: ControlPlane;

// ---------------------------------------------------------------------------------------
// Requests over HTTP

type Body = string | Uint8Array | undefined;

interface Req {
  readonly method: string;
  /** Sent as is: raw, percent-encoded or not, with its query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

interface Res {
  readonly status: number;
  readonly body: string;
}

function send(r: Req): Promise<Res> {
  const url = new URL(cp.url);
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: r.path,
        agent: false,
        headers: {
          ...r.headers,
          ...(body === undefined ? {} : { 'content-length': String(body.length) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.end(body);
  });
}

const clip = (s: string, max = 400) =>
  s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;

/** The request as a failure message shows it (long parts clipped; fast-check prints it whole). */
function show(r: Req): string {
  const body =
    r.body === undefined
      ? '(none)'
      : typeof r.body === 'string'
        ? JSON.stringify(clip(r.body, 1000))
        : `bytes ${Buffer.from(r.body).toString('hex').slice(0, 400)} (${r.body.length} bytes)`;
  const headers = Object.entries(r.headers).map(([k, v]) => `  ${k}: ${clip(v, 200)}`);
  return [`${r.method} ${clip(r.path)}`, ...headers, `  body: ${body}`].join('\n');
}

/** Why a 2xx answer is still a refusal: Spark's `success: false`, a report not applied. */
function refusal(res: Res): string | undefined {
  if (res.status >= 400) return `status ${res.status}`;
  try {
    const body = JSON.parse(res.body) as Record<string, unknown> | null;
    if (body?.success === false) return 'success: false';
    if (body?.outcome === 'unknown') return 'outcome: unknown';
    if (body?.reconnect === true) return 'reconnect: true';
  } catch {
    // not JSON: nothing more to read
  }
  return undefined;
}

/** The items added, removed or changed between two snapshots. */
function tableDiff(before: string, after: string): string[] {
  const index = (s: string) => new Map(JSON.parse(s) as [string, unknown][]);
  const a = index(before);
  const b = index(after);
  const lines: string[] = [];
  for (const [key, item] of b) {
    if (!a.has(key)) lines.push(`added ${key}: ${clip(JSON.stringify(item), 300)}`);
    else if (JSON.stringify(a.get(key)) !== JSON.stringify(item)) {
      lines.push(`changed ${key}: ${clip(JSON.stringify(a.get(key)), 300)}`);
      lines.push(`     to ${key}: ${clip(JSON.stringify(item), 300)}`);
    }
  }
  for (const key of a.keys()) if (!b.has(key)) lines.push(`removed ${key}`);
  return lines;
}

/**
 * The table as of now, when no request has changed it since it was read: a refused request
 * is snapshotted after anyway, so only a request after an accepted one reads it again.
 */
let known: string | undefined;

/**
 * The accepted request after which GET /json stopped answering 200. Every later run would
 * fail for it, so the runs after it (fast-check's shrinking too) pass without a request
 * and the tests after it fail at once, naming it.
 */
let brokenBy: string | undefined;

/**
 * The property: no 5xx; a refused request leaves the table exactly as it was; after an
 * accepted one, the cluster view (which reads every worker, driver and application)
 * still answers.
 */
async function expectSafe(r: Req): Promise<void> {
  if (brokenBy !== undefined) return;
  const before = known ?? (await snapshot(cp.deps.table));
  known = undefined;
  const res = await send(r);
  const what = `${show(r)}\nanswered ${res.status}: ${clip(res.body, 600)}`;
  if (res.status >= 500) {
    // Whether it also left something behind: the first thing to know when fixing it.
    const changed = tableDiff(before, await snapshot(cp.deps.table));
    const left = changed.length === 0 ? 'the table is unchanged' : changed.join('\n');
    expect(res.status, `a 5xx for\n${what}\n${left}`).toBeLessThan(500);
  }
  const refused = refusal(res);
  if (refused === undefined) {
    const view = await send({ method: 'GET', path: '/json', headers: {}, body: undefined });
    if (view.status !== 200) brokenBy = what;
    expect(
      view.status,
      `GET /json answers ${view.status} (${clip(view.body, 200)}) after this accepted request:\n${what}`,
    ).toBe(200);
    return;
  }
  const after = await snapshot(cp.deps.table);
  known = after;
  expect(tableDiff(before, after), `refused (${refused}) but the table changed:\n${what}`).toEqual(
    [],
  );
}

beforeEach(() => {
  if (brokenBy !== undefined) {
    expect.fail(`GET /json has failed since this request, so nothing more is fuzzed:\n${brokenBy}`);
  }
});

const fuzz = (requests: fc.Arbitrary<Req>) =>
  fc.assert(fc.asyncProperty(requests, expectSafe), {
    numRuns: RUNS,
    interruptAfterTimeLimit: TIME_LIMIT_MS,
  });

// ---------------------------------------------------------------------------------------
// Text and values

const ascii = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
/** Legal in a header value. */
const PRINTABLE = ascii(0x20, 0x7e);
/** Legal in a request target as node:http sends it (no space, no control). */
const VISIBLE = ascii(0x21, 0x7e);
const TOKEN = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...`!#$%&'*+-.^_\`|~`,
];

const printable = (maxLength = 60) => fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength });
const visible = (maxLength = 60) => fc.string({ unit: fc.constantFrom(...VISIBLE), maxLength });
const long = (min: number, max: number) =>
  fc
    .tuple(fc.integer({ min, max }), fc.constantFrom('a', 'é', '%', '%ff', '\ud800', '𝄞', '{'))
    .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

/** Percent-encodes every byte outside [A-Za-z0-9-._~]; a lone surrogate as WTF-8 (%ED%A0%80). */
function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    const bytes =
      code >= 0xd800 && code <= 0xdfff
        ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        : [...Buffer.from(ch, 'utf8')];
    for (const b of bytes) {
      const c = String.fromCharCode(b);
      out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** A path segment that names nothing real. */
const garbageSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(percentEncode) },
  { weight: 2, arbitrary: visible(30).map((s) => s.replaceAll('/', '')) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      '%',
      '%z',
      '%zz',
      '%ED%A0%80',
      '%ED%BF%BF',
      '%C0%AF',
      '%FF',
      '%00',
      '%2F',
      '%2f..%2f',
      '%2e%2e',
      '..',
      '.',
      '%20',
      '%09',
      '+',
      '~',
      '%E2%80%AE',
      '%F0%9F%92%A9',
      'null',
      'undefined',
      '__proto__',
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
      '__defineGetter__',
      '0',
      '-1',
      '01',
      '1.5',
      '1e3',
      '2147483647',
      '2147483648',
      '99999999999999999999',
      'NaN',
      'Infinity',
      '{{EXECUTOR_ID}}',
      ':workerId',
      '{proxy+}',
      '*',
      '?',
      '#',
      '%3F',
      '%23',
      ';',
      'a;b=c',
    ),
  },
  { weight: 1, arbitrary: long(400, 1200).map(percentEncode) },
  { weight: 1, arbitrary: long(2000, 4000).map((s) => s.replace(/[^A-Za-z%]/g, 'x')) },
);

const query: fc.Arbitrary<string> = fc
  .oneof(
    visible(60).map((s) => s.replaceAll('#', '')),
    fc.constantFrom(
      '',
      'a=1&a=2',
      '__proto__=1',
      'constructor=x&__proto__[x]=1',
      'action=kill',
      'submissionId=x',
      '%zz=%ED%A0%80',
      '=&&=',
      '+=+',
      'method=DELETE&_method=DELETE',
    ),
    long(300, 600).map(percentEncode),
  )
  .map((q) => `?${q}`);

const ODD_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  1.5,
  -1.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e21,
  1e308,
  -1e308,
  5e-324,
  Number.EPSILON,
];

/** A JSON token spliced into the body text as is. */
class Raw {
  constructor(readonly text: string) {}
}

/** Nesting far past what any route needs (and past Jackson's 1000). */
const deep = (open: string, inner: string, close: string) =>
  fc.integer({ min: 2, max: 20_000 }).map((n) => new Raw(open.repeat(n) + inner + close.repeat(n)));

const rawToken: fc.Arbitrary<Raw> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(
        '1e400',
        '-1e400',
        '1e-400',
        '1E+2',
        '1.0',
        '2.0',
        '-0',
        '-0.0',
        '0e0',
        '123456789012345678901234567890',
        '-123456789012345678901234567890',
        '2147483648',
        '9007199254740993',
        '"\\ud800"',
        '"\\udfff"',
        '"x\\udbff"',
        '"\\udc00\\ud800"',
        '"\\u0000"',
        '"\\u2028"',
        '"\\/"',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"":""}',
        '{"a":1,"a":"b"}',
        '{"\\ud800":"x"}',
        '[]',
        '{}',
        '""',
        '[null]',
        '[[]]',
        '[{}]',
      )
      .map((t) => new Raw(t)),
  },
  { weight: 1, arbitrary: deep('[', '', ']') },
  { weight: 1, arbitrary: deep('{"a":', '1', '}') },
  { weight: 1, arbitrary: long(20_000, 300_000).map((s) => new Raw(JSON.stringify(s))) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => new Raw(`"${'\\ud800'.repeat(n)}"`)),
  },
);

const ODD_STRINGS = [
  '',
  ' ',
  '\t',
  '\n',
  'null',
  'true',
  '0',
  '-1',
  '1.5',
  '{{EXECUTOR_ID}}',
  '{{HOSTNAME}}',
  '{{SPARKPLANE_NOT_ALLOWED}}',
  '../../etc/passwd',
  'a/b',
  'a b',
  '%ED%A0%80',
  '\u0000',
  '\u2028',
  '\ufeff',
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '𝄞',
  '__proto__',
  'constructor',
  'x'.repeat(65),
  'x'.repeat(257),
  'x'.repeat(1025),
  'x'.repeat(9000),
];

const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 100, maxLength: 3000 }) },
  { weight: 1, arbitrary: long(60_000, 80_000) },
);

/** Names an object has before anything is put in it. */
const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
];

const oddKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'prototype',
      '',
      ' ',
      '\ud800',
      'action',
      'state',
      'executors',
      'drivers',
      'total',
      'gpu',
    ),
  },
);

/** A map whose values pass, under names an object already has (and others). */
const mapOf = (value: fc.Arbitrary<unknown>) =>
  fc.dictionary(
    fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('gpu', 'fpga', 'A_1'), oddKey),
    value,
    { minKeys: 1, maxKeys: 3 },
  );

const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...ODD_NUMBERS),
  fc.integer(),
  fc.double(),
  fc.maxSafeInteger(),
);

/** Words the routes know, so that a mutation sometimes lands on a valid alternative. */
const ENUMS = [
  'RUNNING',
  'LAUNCHING',
  'EXITED',
  'FAILED',
  'KILLED',
  'LOST',
  'FINISHED',
  'ERROR',
  'SUBMITTED',
  'UNKNOWN',
  'running',
  'CreateSubmissionRequest',
  'KillSubmissionResponse',
  'ErrorResponse',
];

/** What a mutated field gets: anything a JSON client could send, and then some. */
const oddValue = (ids: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.anything({
        key: oddKey,
        maxDepth: 3,
        maxKeys: 5,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
      }),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 3, arbitrary: oddNumber },
    { weight: 3, arbitrary: oddString },
    { weight: 3, arbitrary: rawToken },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.constantFrom(...ENUMS, ...ids) },
    { weight: 1, arbitrary: fc.array(oddString, { maxLength: 5 }) },
  );

// ---------------------------------------------------------------------------------------
// Bodies

/** JSON text with Raw tokens spliced in. */
function serialize(value: unknown): string {
  const nonce = randomUUID();
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (!(v instanceof Raw)) return v;
    raws.push(v.text);
    return `${nonce}:${raws.length - 1}`;
  });
  if (text === undefined) return '';
  return text.replace(
    new RegExp(`"${nonce}:(\\d+)"`, 'g'),
    (_m, i: string) => raws[Number(i)] ?? '',
  );
}

type Key = string | number;
type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container =>
  typeof v === 'object' && v !== null && !(v instanceof Raw) && !ArrayBuffer.isView(v);

/** Every node of a value, by path, the root first. */
function nodes(value: unknown, at: Key[] = []): Key[][] {
  if (!isContainer(value)) return [at];
  const keys: Key[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => nodes((value as Record<Key, unknown>)[k], [...at, k]))];
}

/** An own property, even one named __proto__. */
function put(target: Container, key: Key, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A deep copy that keeps Raw tokens and null prototypes: a generated value is never edited. */
function copy(value: unknown): unknown {
  if (!isContainer(value)) return value;
  if (Array.isArray(value)) return value.map(copy);
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) put(out, k, copy(v));
  return out;
}

interface Mutation {
  /** Which node: an index into nodes() (modulo their number), or a path set outright. */
  readonly at: number | readonly string[];
  readonly op: 'replace' | 'delete' | 'add';
  readonly key: string;
  readonly value: unknown;
}

function mutate(root: unknown, mutation: Mutation): unknown {
  const m = { ...mutation, value: copy(mutation.value) };
  let path: Key[];
  if (typeof m.at === 'number') {
    const all = nodes(root);
    path = all[m.at % all.length] ?? [];
  } else {
    // A path set outright: the containers on the way are made when missing.
    path = [...m.at];
    let node = root;
    for (const key of path.slice(0, -1)) {
      if (!isContainer(node)) return root;
      const record = node as Record<Key, unknown>;
      if (!isContainer(record[key])) put(node, key, {});
      node = record[key];
    }
  }
  if (path.length === 0) {
    if (m.op === 'delete') return undefined;
    if (m.op === 'add' && isContainer(root)) {
      if (Array.isArray(root)) root.push(m.value);
      else put(root, m.key, m.value);
      return root;
    }
    return m.value;
  }
  const parent = path.slice(0, -1).reduce<unknown>((n, k) => (n as Record<Key, unknown>)[k], root);
  const last = path.at(-1) as Key;
  if (!isContainer(parent)) return root;
  const node = (parent as Record<Key, unknown>)[last];
  if (m.op === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete (parent as Record<Key, unknown>)[last];
  } else if (m.op === 'add' && isContainer(node)) {
    if (Array.isArray(node)) node.push(m.value);
    else put(node, m.key, m.value);
  } else {
    put(parent, last, m.value);
  }
  return root;
}

const mutation = (ids: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom('replace' as const, 'replace' as const, 'delete' as const, 'add' as const),
    key: oddKey,
    value: oddValue(ids),
  });

/** A field set at a fixed path (for Spark's sparkProperties, appArgs, environmentVariables). */
const setAt = (at: readonly string[], value: fc.Arbitrary<unknown>): fc.Arbitrary<Mutation> =>
  value.map((v) => ({ at, op: 'replace' as const, key: '', value: v }));

/** One key of a map at a fixed path set, the key and its value both generated. */
const setIn = (
  at: readonly string[],
  key: fc.Arbitrary<string>,
  value: fc.Arbitrary<unknown>,
): fc.Arbitrary<Mutation> =>
  fc
    .tuple(key, value)
    .map(([k, v]) => ({ at: [...at, k], op: 'replace' as const, key: '', value: v }));

const GARBAGE_BODIES = [
  '',
  ' ',
  '\n',
  'null',
  'true',
  '0',
  '"x"',
  '[]',
  '{}',
  '{',
  '}',
  '{"a":1,}',
  '{"a":1}{"b":2}',
  '{"a" 1}',
  "{'a':1}",
  '{a:1}',
  '/* c */ {}',
  '\ufeff{}',
  'NaN',
  'undefined',
  '[1,2',
  '"\\ud800"',
  '{"__proto__":{"polluted":true}}',
];

/** Bodies for a route: arbitrary ones, and mutations of its valid body above all. */
function bodies(
  valid: unknown,
  ids: readonly string[],
  extra: readonly fc.Arbitrary<Mutation>[] = [],
): fc.Arbitrary<Body> {
  const validText = serialize(valid);
  const oneMutation =
    extra.length === 0
      ? mutation(ids)
      : fc.oneof(
          { weight: 2, arbitrary: mutation(ids) },
          ...extra.map((arbitrary) => ({ weight: 1, arbitrary })),
        );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constant(validText) },
    {
      weight: 10,
      arbitrary: fc
        .array(oneMutation, { minLength: 1, maxLength: 3 })
        .map((ms) => serialize(ms.reduce<unknown>(mutate, structuredClone(valid)))),
    },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constantFrom(...GARBAGE_BODIES) },
    { weight: 1, arbitrary: rawToken.map((r) => r.text) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `\ufeff${validText}`,
        `${validText}x`,
        `${validText}${validText}`,
        ` \n${validText}\n `,
        validText.slice(0, -1),
        validText.replace(/"/g, "'"),
      ),
    },
    // The valid body in another encoding than the UTF-8 it is read as.
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        new Uint8Array(Buffer.from(validText, 'utf16le')),
        new Uint8Array(Buffer.from(validText, 'latin1')),
      ),
    },
  );
}

// ---------------------------------------------------------------------------------------
// Headers, methods, paths

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-16',
  'APPLICATION/JSON',
  'text/plain',
  'text/html; charset=iso-8859-1',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  'application/xml',
  'image/png',
  '*/*',
  '',
  ';',
  'application/',
];

/** Header names that would break HTTP framing rather than test the API. */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'expect',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
  'proxy-connection',
  'content-type',
  'authorization',
]);

const headerName: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      'idempotency-key',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'x-forwarded-port',
      'forwarded',
      'x-http-method-override',
      'x-real-ip',
      'cookie',
      'origin',
      'accept',
      'accept-encoding',
      'content-encoding',
      'access-control-request-method',
      'access-control-request-headers',
      'user-agent',
      'range',
      'if-none-match',
      'x-amzn-trace-id',
      '__proto__',
      'constructor',
    ),
    fc.string({ unit: fc.constantFrom(...TOKEN), minLength: 1, maxLength: 30 }),
  )
  .filter((n) => !FRAMING.has(n.toLowerCase()));

const headerValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: printable(80) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'k1',
      'k2',
      'gzip',
      'br',
      'DELETE',
      'POST',
      '10.0.0.9',
      '127.0.0.1',
      '::1',
      'for=10.0.0.9',
      '__proto__',
      'a=b; c=d',
      '%ED%A0%80',
      '\\ud800',
    ),
  },
  { weight: 1, arbitrary: long(1000, 3000).map((s) => s.replace(/[^ -~]/g, 'x')) },
);

/** A token signed with a key nobody knows, one with alg none, and other shapes. */
const FOREIGN_JWS =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5LWEtc3RyYW5nZXI';

const authorization: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'bearer x',
    `Bearer ${FOREIGN_JWS}`,
    'Bearer eyJhbGciOiJub25lIn0.e30.',
    'Bearer a.b.c',
    'Bearer ...',
    'Basic dXNlcjpwYXNz',
    'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/execute-api/aws4_request',
  ),
  printable(100),
  printable(100).map((s) => `Bearer ${s}`),
);

const HOSTS = [
  'example.com',
  'localhost:1',
  'localhost:65536',
  '256.0.0.1',
  'a.1',
  '[::1]',
  'a:99999',
  'x..y',
  '-',
  '__proto__',
  'sparkplane.invalid',
];

const headers: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: printable(40) },
      ),
      authorization,
      host: fc.oneof(
        fc.constantFrom(...HOSTS),
        printable(30).filter((h) => h.trim() !== ''),
      ),
      extra: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
    },
    { requiredKeys: ['extra'] },
  )
  .map(({ contentType, authorization, host, extra }) => ({
    // Plain objects: a header named __proto__ must stay a header.
    ...Object.fromEntries(Object.entries(extra)),
    ...(contentType === undefined ? {} : { 'content-type': contentType }),
    ...(authorization === undefined ? {} : { authorization }),
    ...(host === undefined ? {} : { host }),
  }));

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** The route's method half of the time, any other (and a few rarer ones) otherwise. */
const method = (usual: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(usual) },
    { weight: 5, arbitrary: fc.constantFrom(...METHODS) },
    { weight: 1, arbitrary: fc.constantFrom('TRACE', 'PROPFIND', 'PURGE', 'SEARCH') },
  );

type Vars = Readonly<Record<string, string>>;

/** How a path strays from its template, if it does. */
type Shape =
  | { readonly kind: 'as-is' }
  | { readonly kind: 'trailing-slash' }
  | { readonly kind: 'extra'; readonly segments: readonly string[] }
  | { readonly kind: 'double-slash'; readonly at: number }
  | { readonly kind: 'dot-dot'; readonly at: number; readonly after: readonly string[] }
  | { readonly kind: 'drop'; readonly at: number }
  | { readonly kind: 'case'; readonly at: number }
  | { readonly kind: 'encoded'; readonly at: number };

const shape: fc.Arbitrary<Shape> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'as-is' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'trailing-slash' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('extra' as const),
      segments: fc.array(garbageSegment, { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('double-slash' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('dot-dot' as const),
      at: fc.nat(),
      after: fc.array(
        fc.constantFrom('json', 'v1', 'workers', 'applications', 'submissions', 'kill'),
        {
          maxLength: 3,
        },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('case' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('encoded' as const), at: fc.nat() }) },
);

function shaped(segments: readonly string[], s: Shape): string[] {
  const out = [...segments];
  const i = 'at' in s ? s.at % Math.max(1, out.length) : 0;
  switch (s.kind) {
    case 'as-is':
      return out;
    case 'trailing-slash':
      return [...out, ''];
    case 'extra':
      return [...out, ...s.segments];
    case 'double-slash':
      out.splice(i, 0, '');
      return out;
    case 'dot-dot':
      out.splice(i, 0, ...s.after, '..');
      return out;
    case 'drop':
      out.splice(i, 1);
      return out;
    case 'case': {
      const seg = out[i] ?? '';
      out[i] = seg === seg.toUpperCase() ? seg.toLowerCase() : seg.toUpperCase();
      return out;
    }
    case 'encoded':
      out[i] = [...Buffer.from(out[i] ?? '', 'latin1')]
        .map((b) => `%${b.toString(16).padStart(2, '0')}`)
        .join('');
      return out;
  }
}

/** A near miss for a real id: another case, a character more or less, a space before it. */
const nearMiss = (value: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    value.toUpperCase(),
    `${value}x`,
    value.slice(0, -1),
    `%20${value}`,
    `${value}%00`,
    percentEncode(value),
  );

/** The segments of a template with its variables taken from a tuple. */
const fill = (template: string, vars: Vars): string[] =>
  template
    .slice(1)
    .split('/')
    .map((p) => {
      const name = /^\{(\w+)\}$/.exec(p)?.[1];
      return name === undefined ? p : (vars[name] ?? '');
    });

/**
 * Paths from a template such as `/v1/workers/{workerId}/heartbeat`: each variable from one
 * of the real tuples, from another tuple, a near miss or garbage; then perhaps bent out of
 * shape and given a query.
 */
function paths(template: string, tuples: readonly Vars[]): fc.Arbitrary<string> {
  const names = template
    .slice(1)
    .split('/')
    .flatMap((p) => /^\{(\w+)\}$/.exec(p)?.[1] ?? []);
  const pool = (name: string) => [...new Set(tuples.flatMap((t) => t[name] ?? []))];
  const variable = (name: string, tuple: Vars) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(tuple[name] ?? '') },
      { weight: 1, arbitrary: fc.constantFrom(...pool(name)) },
      { weight: 1, arbitrary: nearMiss(tuple[name] ?? '') },
      { weight: 3, arbitrary: garbageSegment },
    );
  return fc
    .constantFrom(...tuples)
    .chain((tuple) => fc.tuple(...names.map((n) => variable(n, tuple))))
    .chain((values) => {
      const segments = fill(
        template,
        Object.fromEntries(names.map((n, i) => [n, values[i] ?? ''])),
      );
      return fc
        .tuple(shape, fc.option(query, { freq: 4, nil: '' }))
        .map(([s, q]) => `/${shaped(segments, s).join('/')}${q}`);
    });
}

/** Any path at all, for the error servlet: mostly near the real ones. */
const anyPath: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              'v1',
              'v2',
              'V1',
              'submissions',
              'create',
              'kill',
              'killall',
              'status',
              'clear',
              'readyz',
              'workers',
              'applications',
              'json',
              '',
              'index.html',
            ),
            garbageSegment,
          ),
          { maxLength: 6 },
        ),
        fc.option(query, { freq: 4, nil: '' }),
      )
      .map(([segments, q]) => `/${segments.join('/')}${q}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      'v1/submissions/readyz',
      'http://example.com/v1/submissions/readyz',
      'http://127.0.0.1/json',
      '//v1/submissions/status/x',
      '/%2e%2e/%2e%2e/json',
      '/v1/submissions/status/..%2f..%2fjson',
      '/;/v1',
    ),
  },
);

interface Route {
  readonly method: string;
  readonly template: string;
  /** Real values for the template's variables, the coherent ones together. */
  readonly tuples: readonly Vars[];
  /** The route's valid body, or valid bodies (when each accepted one must differ). */
  readonly valid?: unknown;
  readonly mutations?: readonly fc.Arbitrary<Mutation>[];
  readonly paths?: fc.Arbitrary<string>;
}

/**
 * A third of the requests are focused: the route's method and a real path, so that the
 * body (a mutation of the valid one, mostly) reaches the handler's checks and its logic.
 * The rest stray anywhere: method, path, headers and body all arbitrary.
 */
function requests(route: Route): fc.Arbitrary<Req> {
  const ids = route.tuples.flatMap((t) => Object.values(t));
  const valid = route.valid ?? {};
  const body =
    valid instanceof fc.Arbitrary
      ? valid.chain((v) => bodies(v, ids, route.mutations))
      : bodies(valid, ids, route.mutations);
  const focused = fc
    .record({
      vars: fc.constantFrom(...route.tuples),
      body,
      key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }),
    })
    .map(
      ({ vars, body, key }): Req => ({
        method: route.method,
        path: `/${fill(route.template, vars).join('/')}`,
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { 'idempotency-key': key }),
        },
        body,
      }),
    );
  const stray = fc.record({
    method: method(route.method),
    path: route.paths ?? paths(route.template, route.tuples),
    headers,
    body,
  });
  return fc.oneof({ weight: 1, arbitrary: focused }, { weight: 2, arbitrary: stray });
}

// ---------------------------------------------------------------------------------------
// The seeded control plane

interface Seed {
  readonly workers: readonly string[];
  readonly driverId: string;
  /** The worker the driver was placed on. */
  readonly driverWorker: string;
  readonly appId: string;
  readonly executors: readonly { readonly executorId: string; readonly workerId: string }[];
}

let seed: Seed;

async function call(methodName: string, path: string, body?: unknown) {
  const res = await send({
    method: methodName,
    path,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${methodName} ${path}: ${res.body}`).toBe(200);
  return JSON.parse(res.body) as Record<string, unknown>;
}

const createBody = {
  action: 'CreateSubmissionRequest',
  appResource: 'file:/app.jar',
  mainClass: 'org.example.Main',
  clientSparkVersion: '4.1.1',
  appArgs: ['--input', 's3://bucket/in'],
  sparkProperties: {
    'spark.app.name': 'fuzz',
    'spark.driver.cores': '1',
    'spark.driver.memory': '512m',
    'spark.driver.supervise': 'false',
  },
  environmentVariables: { A: 'b' },
};

beforeAll(async () => {
  cp = await startApi();
  const workers: string[] = [];
  for (const port of [7201, 7202]) {
    const w = await call('POST', '/v1/workers', {
      host: '127.0.0.1',
      port,
      cores: 4,
      memoryMb: 8192,
      resources: { gpu: ['0', '1'] },
    });
    workers.push(String(w.workerId));
  }
  const driverId = String((await call('POST', '/v1/submissions/create', createBody)).submissionId);
  const appId = String(
    (
      await call('POST', '/v1/applications', {
        name: 'fuzz',
        maxCores: 2,
        executor: { cores: 1, memoryMb: 256 },
        command: { argv: ['{{NODE}}', 'run.mjs', '{{EXECUTOR_ID}}'] },
      })
    ).appId,
  );
  await runSchedulingPass(cp.deps.table, cp.deps.master, {
    holder: randomUUID(),
    leaseMs: 10_000,
    maxAttempts: 3,
    now: Date.now,
    random: mulberry32(7),
  });
  const status = await call('GET', `/v1/submissions/status/${driverId}`);
  const app = await call('GET', `/v1/applications/${appId}`);
  const executors = (app.executors as { executorId: number; workerId: string }[]).map((e) => ({
    executorId: String(e.executorId),
    workerId: e.workerId,
  }));
  expect(status.driverState).toBe('RUNNING');
  expect(executors).toHaveLength(2);
  seed = { workers, driverId, driverWorker: String(status.workerId), appId, executors };
});
afterAll(() => cp?.close());

const workerTuples = () => seed.workers.map((workerId) => ({ workerId }));
const driverTuples = () => [{ driverId: seed.driverId }];
const appTuples = () => [{ appId: seed.appId }];

// ---------------------------------------------------------------------------------------
// The routes; the ones that end things last

describe('routes that only read', () => {
  it('GET /v1/submissions/readyz', async () => {
    await fuzz(requests({ method: 'GET', template: '/v1/submissions/readyz', tuples: [{}] }));
  });

  it('GET /v1/submissions/status/{driverId}', async () => {
    await fuzz(
      requests({
        method: 'GET',
        template: '/v1/submissions/status/{driverId}',
        tuples: driverTuples(),
      }),
    );
  });

  it('the error servlet: any path, any method', async () => {
    await fuzz(requests({ method: 'GET', template: '/', tuples: [{}], paths: anyPath }));
  });

  it('GET /v1/applications/{appId}', async () => {
    await fuzz(
      requests({ method: 'GET', template: '/v1/applications/{appId}', tuples: appTuples() }),
    );
  });

  it('GET /json', async () => {
    await fuzz(requests({ method: 'GET', template: '/json', tuples: [{}] }));
  });

  it('GET /v1/drivers/{driverId}/logs/{stream}', async () => {
    await fuzz(
      requests({
        method: 'GET',
        template: '/v1/drivers/{driverId}/logs/{stream}',
        tuples: ['stdout', 'stderr', 'stdin'].map((stream) => ({
          driverId: seed.driverId,
          stream,
        })),
      }),
    );
  });

  it('GET /v1/applications/{appId}/executors/{executorId}/logs/{stream}', async () => {
    await fuzz(
      requests({
        method: 'GET',
        template: '/v1/applications/{appId}/executors/{executorId}/logs/{stream}',
        tuples: seed.executors.map(({ executorId }) => ({
          appId: seed.appId,
          executorId,
          stream: 'stderr',
        })),
      }),
    );
  });

  it('GET /v1/drivers and GET /v1/applications', async () => {
    await fuzz(requests({ method: 'GET', template: '/v1/drivers', tuples: [{}] }));
    await fuzz(requests({ method: 'GET', template: '/v1/applications', tuples: [{}] }));
  });

  it('GET /json/{field}', async () => {
    const fields = [
      'status',
      'workers',
      'aliveworkers',
      'cores',
      'coresused',
      'memory',
      'resources',
      'activeapps',
      'completedapps',
      'activedrivers',
      'completeddrivers',
      'url',
      'clusterutilization',
      'nosuchfield',
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
      '__proto__',
      'STATUS',
    ];
    await fuzz(
      requests({
        method: 'GET',
        template: '/json/{field}',
        tuples: fields.map((field) => ({ field })),
      }),
    );
  });
});

describe('worker routes', () => {
  it('POST /v1/workers/{workerId}/logs', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers/{workerId}/logs',
        tuples: workerTuples(),
        valid: {
          streams: [
            {
              owner: { kind: 'driver', driverId: seed.driverId },
              stream: 'stdout',
              chunks: [{ offset: 0, data: Buffer.from('hello\n').toString('base64') }],
              drop: [],
            },
            {
              owner: { kind: 'executor', appId: seed.appId, executorId: 0 },
              stream: 'stderr',
              chunks: [],
              end: 0,
            },
          ],
        },
      }),
    );
  });

  it('POST /v1/workers', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers',
        tuples: [{}],
        // A new address each time, so that an accepted registration stores a new worker.
        valid: fc
          .tuple(fc.constantFrom('10.0.0.1', '10.0.0.2', 'worker-a.example'), fc.nat(60_000))
          .map(([host, port]) => ({
            host,
            port: 1024 + port,
            cores: 2,
            memoryMb: 1024,
            resources: { gpu: ['0', '1'] },
            webUiUrl: `http://${host}:8081`,
            workerId: `worker-20260101000000-${host}-${1024 + port}`,
          })),
        mutations: [
          setAt(
            ['resources'],
            fc.dictionary(oddKey, fc.oneof(fc.array(oddString, { maxLength: 3 }), oddValue([])), {
              maxKeys: 3,
            }),
          ),
          setAt(['resources'], mapOf(fc.array(fc.constantFrom('0', '1', 'x'), { maxLength: 2 }))),
          setAt(['workerId'], fc.oneof(oddString, fc.constantFrom(...seed.workers))),
          setAt(['host'], fc.oneof(oddString, fc.constantFrom('127.0.0.1', '::1', 'a..b'))),
        ],
      }),
    );
  });

  it('POST /v1/workers/{workerId}/heartbeat', async () => {
    const [executor] = seed.executors;
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers/{workerId}/heartbeat',
        tuples: workerTuples(),
        valid: {
          executors: [
            { appId: seed.appId, executorId: Number(executor?.executorId), state: 'RUNNING' },
          ],
          drivers: [{ driverId: seed.driverId, state: 'RUNNING' }],
        },
      }),
    );
  });

  it('POST /v1/workers/{workerId}/executors/{appId}/{executorId}/state', async () => {
    const tuples = [
      ...seed.executors.map((e) => ({ ...e, appId: seed.appId })),
      ...seed.executors.map((e) => ({ ...e, appId: `${seed.appId}x` })),
      { workerId: seed.workers[0] ?? '', appId: seed.appId, executorId: '2147483648' },
    ];
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers/{workerId}/executors/{appId}/{executorId}/state',
        tuples,
        valid: { state: 'RUNNING', message: 'started', exitStatus: 0 },
      }),
    );
  });

  it('POST /v1/workers/{workerId}/drivers/{driverId}/state', async () => {
    const other = seed.workers.find((w) => w !== seed.driverWorker) ?? '';
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers/{workerId}/drivers/{driverId}/state',
        tuples: [
          { workerId: seed.driverWorker, driverId: seed.driverId },
          { workerId: other, driverId: seed.driverId },
          { workerId: seed.driverWorker, driverId: `${seed.driverId}x` },
        ],
        valid: { state: 'FAILED', exception: 'java.lang.RuntimeException: boom' },
      }),
    );
  });
});

describe('application routes', () => {
  it('POST /v1/applications', async () => {
    const valid = {
      name: 'fuzzed',
      user: 'alice',
      driverId: seed.driverId,
      maxCores: 2,
      initialExecutorLimit: 1,
      executor: { cores: 1, memoryMb: 256, resources: { gpu: 1 } },
      command: { argv: ['{{NODE}}', 'run-executor.mjs', '{{EXECUTOR_ID}}'], env: { A: 'b' } },
    };
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/applications',
        tuples: [{}],
        valid,
        mutations: [
          setAt(['command', 'argv'], fc.array(oddValue([]), { maxLength: 4 })),
          setAt(['command', 'env'], fc.dictionary(oddKey, oddValue([]), { maxKeys: 3 })),
          setAt(['executor', 'resources'], fc.dictionary(oddKey, oddValue([]), { maxKeys: 3 })),
          setAt(['executor', 'resources'], mapOf(fc.integer({ min: 1, max: 2 }))),
          setAt(['command', 'env'], mapOf(fc.constantFrom('x', ''))),
        ],
      }),
    );
  });

  it('POST /v1/applications/{appId}/executors', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/applications/{appId}/executors',
        tuples: appTuples(),
        valid: { total: 2 },
      }),
    );
  });

  it('POST /v1/applications/{appId}/executors/kill', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/applications/{appId}/executors/kill',
        tuples: appTuples(),
        valid: { executorIds: seed.executors.slice(0, 1).map((e) => e.executorId) },
        mutations: [setAt(['executorIds'], fc.array(oddValue(['0', '1', '2']), { maxLength: 5 }))],
      }),
    );
  });
});

describe('submission routes', () => {
  /** Values Spark's property checks and the driver description read. */
  const sparkValue: fc.Arbitrary<unknown> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '1',
        '0',
        '-1',
        '1.5',
        '1.0',
        '+2',
        '2147483647',
        '2147483648',
        '1e3',
        'NaN',
        'Infinity',
        '-Infinity',
        '0x10p0',
        '1d',
        '1f',
        '  1  ',
        '\u00001',
        'true',
        'TRUE',
        'false',
        'yes',
        '512m',
        '512',
        '1g',
        '1.5g',
        '-1m',
        '0m',
        '1t',
        '8p',
        '9999999999p',
        '9223372036854775807',
        '9223372036854775808b',
        '2048 m',
        '',
        '{{SPARKPLANE_NOT_ALLOWED}}',
        '{{}}',
      ),
    },
    { weight: 1, arbitrary: rawToken },
    { weight: 1, arbitrary: oddNumber },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: oddValue([]) },
  );
  const sparkKey = fc.oneof(
    fc.constantFrom(
      'spark.driver.cores',
      'spark.driver.memory',
      'spark.driver.supervise',
      'spark.cores.max',
      'spark.executor.memory',
      'spark.driver.resource.gpu.amount',
      'spark.driver.resource.gpu.discoveryScript',
      'spark.driver.resource.gpu',
      'spark.driver.resource..amount',
      'spark.driver.resource.',
      'spark.master',
      '__proto__',
      'constructor',
      'toString',
      '',
    ),
    oddKey,
  );

  it('POST /v1/submissions/create', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/submissions/create',
        tuples: [{}],
        valid: createBody,
        mutations: [
          setIn(['sparkProperties'], sparkKey, sparkValue),
          setIn(['sparkProperties'], sparkKey, sparkValue),
          setAt(['appArgs'], fc.oneof(fc.array(oddValue([]), { maxLength: 4 }), oddValue([]))),
          setAt(['environmentVariables'], fc.dictionary(oddKey, oddValue([]), { maxKeys: 3 })),
          setAt(['environmentVariables'], mapOf(fc.constantFrom('x', '', '{{HOSTNAME}}'))),
          setAt(['action'], fc.oneof(fc.constantFrom(...ENUMS), oddValue([]))),
        ],
      }),
    );
  });

  it('POST /v1/submissions/kill/{driverId}', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/submissions/kill/{driverId}',
        tuples: driverTuples(),
      }),
    );
  });

  it('POST /v1/submissions/killall', async () => {
    await fuzz(requests({ method: 'POST', template: '/v1/submissions/killall', tuples: [{}] }));
  });

  it('POST /v1/submissions/clear', async () => {
    await fuzz(requests({ method: 'POST', template: '/v1/submissions/clear', tuples: [{}] }));
  });
});

describe('routes that end things', () => {
  it('POST /v1/workers/{workerId}/decommission', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers/{workerId}/decommission',
        tuples: workerTuples(),
      }),
    );
  });

  it('POST /v1/applications/{appId}/kill', async () => {
    await fuzz(
      requests({ method: 'POST', template: '/v1/applications/{appId}/kill', tuples: appTuples() }),
    );
  });

  it('POST /v1/workers/{workerId}/disconnect', async () => {
    await fuzz(
      requests({
        method: 'POST',
        template: '/v1/workers/{workerId}/disconnect',
        tuples: workerTuples(),
      }),
    );
  });

  it('DELETE /v1/applications/{appId}', async () => {
    await fuzz(
      requests({ method: 'DELETE', template: '/v1/applications/{appId}', tuples: appTuples() }),
    );
  });
});

describe('HEAD and OPTIONS', () => {
  it('on every route, with real ids, answer below 500 and change nothing', async () => {
    const [executor] = seed.executors;
    const routes = [
      '/v1/submissions/create',
      `/v1/submissions/kill/${seed.driverId}`,
      '/v1/submissions/killall',
      `/v1/submissions/status/${seed.driverId}`,
      '/v1/submissions/clear',
      '/v1/submissions/readyz',
      '/v1/nowhere',
      '/',
      '/v1/workers',
      `/v1/workers/${seed.driverWorker}/heartbeat`,
      `/v1/workers/${executor?.workerId}/executors/${seed.appId}/${executor?.executorId}/state`,
      `/v1/workers/${seed.driverWorker}/drivers/${seed.driverId}/state`,
      `/v1/workers/${seed.driverWorker}/decommission`,
      `/v1/workers/${seed.driverWorker}/disconnect`,
      '/v1/applications',
      `/v1/applications/${seed.appId}`,
      `/v1/applications/${seed.appId}/executors`,
      `/v1/applications/${seed.appId}/executors/kill`,
      `/v1/applications/${seed.appId}/kill`,
      '/json',
      '/json/status',
      '/metrics/master/prometheus/',
    ];
    for (const path of routes) {
      for (const m of ['HEAD', 'OPTIONS']) {
        await expectSafe({ method: m, path, headers: {}, body: undefined });
        await expectSafe({
          method: m,
          path,
          headers: {
            'content-type': 'application/json',
            origin: 'http://example.com',
            'access-control-request-method': 'POST',
          },
          body: '{}',
        });
      }
    }
  });
});
