// Replays Spark's REST vectors (spec Appendix C) over real HTTP against the submission
// handlers behind the local gateway, on DynamoDB Local and fauxqs. The file is
// `SPARK_REST_VECTORS`, default ../shared/spark-cases/rest-vectors.json. Vectors whose
// precondition turns on Spark's JWSFilter run against a gateway with that key.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKey, jwsAuth, tokenRules } from '../../lib/api/auth.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { repoRoot } from '../paths.js';
import { randomKeys, startApi } from './api.js';

interface Expectation {
  action?: string;
  success?: boolean | 'absent';
  present?: string[];
  absent?: string[];
  equals?: Record<string, unknown>;
  matches?: Record<string, string>;
  messagePrefix?: string;
  messageContains?: string;
  oneOf?: Record<string, unknown[]>;
  messageEqualsFormat?: string;
  equalsFormat?: Record<string, string>;
}

interface Vector {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body: string | null;
  precondition: string;
  expectedStatus: number;
  expectedJsonBody: boolean;
  expect: Expectation | null;
  deviationAllowed?: { status?: number; body?: string; reason: string };
}

const VECTOR_FIELDS = new Set([
  'name',
  'source',
  'precondition',
  'method',
  'path',
  'headers',
  'body',
  'expectedStatus',
  'expectedJsonBody',
  'expect',
  'deviationAllowed',
  'since',
  'notes',
]);
const EXPECT_FIELDS = new Set([
  'action',
  'success',
  'present',
  'absent',
  'equals',
  'matches',
  'messagePrefix',
  'messageContains',
  'oneOf',
  'messageEqualsFormat',
  'equalsFormat',
]);

const file = resolve(
  repoRoot,
  process.env.SPARK_REST_VECTORS ?? '../shared/spark-cases/rest-vectors.json',
);
const vectors = JSON.parse(readFileSync(file, 'utf8')) as Vector[];

/** The filter's key as the precondition configures it (`...JWSFilter.param.secretKey=<b64url>`). */
function filterKey(v: Vector): Uint8Array | undefined {
  if (!v.precondition.includes('JWSFilter')) return undefined;
  const match = /secretKey=([A-Za-z0-9_=-]+)/.exec(v.precondition);
  if (!match?.[1]) throw new Error(`${v.name}: a JWSFilter precondition without a secretKey`);
  return decodeKey('secretKey', match[1]);
}

/** `${name}` replaced from the same response, or from the last created submission. */
const fill = (format: string, values: Record<string, unknown>) =>
  format.replace(/\$\{(\w+)\}/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return String(value);
  });

/** Jackson's pretty printer, keys sorted: what Spark's server writes. */
function checkSparkFormat(text: string, body: Record<string, unknown>): void {
  const keys = Object.keys(body);
  expect(keys, 'keys in alphabetical order').toEqual([...keys].sort());
  expect(text.startsWith('{\n  "'), 'pretty-printed').toBe(true);
  for (const line of text.split('\n').slice(1, -1)) expect(line).toMatch(/^ {2}"\w+" : /);
}

function checkExpectation(e: Expectation, body: Record<string, unknown>, submissionId?: string) {
  for (const key of Object.keys(e)) {
    if (!EXPECT_FIELDS.has(key)) throw new Error(`unknown expect field ${key}`);
  }
  if (e.action !== undefined) expect(body.action).toBe(e.action);
  if (e.success === 'absent') expect(body).not.toHaveProperty('success');
  else if (e.success !== undefined) expect(body.success).toBe(e.success);
  for (const key of e.present ?? []) expect(body, `${key} present`).toHaveProperty(key);
  for (const key of e.absent ?? []) expect(body, `${key} absent`).not.toHaveProperty(key);
  for (const [key, value] of Object.entries(e.equals ?? {})) expect(body[key]).toEqual(value);
  for (const [key, re] of Object.entries(e.matches ?? {})) {
    expect(String(body[key])).toMatch(new RegExp(re));
  }
  const message = String(body.message ?? '');
  if (e.messagePrefix !== undefined) expect(message.startsWith(e.messagePrefix)).toBe(true);
  if (e.messageContains !== undefined) expect(message).toContain(e.messageContains);
  for (const [key, options] of Object.entries(e.oneOf ?? {})) expect(options).toContain(body[key]);
  const values = { ...(submissionId ? { submissionId } : {}), ...body };
  if (e.messageEqualsFormat !== undefined) {
    expect(message).toBe(fill(e.messageEqualsFormat, values));
  }
  for (const [key, format] of Object.entries(e.equalsFormat ?? {})) {
    expect(body[key]).toBe(fill(format, values));
  }
}

let open: ControlPlane;
let filtered: ControlPlane | undefined;
let submissionId: string | undefined;

beforeAll(async () => {
  open = await startApi();
  const key = vectors.map(filterKey).find((k) => k !== undefined);
  // Spark's filter takes a token without `exp` (the vectors' is one): sparkplane does too
  // with spark.sparkplane.auth.requireExpiration=false.
  if (key) {
    const rules = tokenRules({ 'spark.sparkplane.auth.requireExpiration': 'false' });
    filtered = await startApi({ auth: jwsAuth(key, randomKeys().worker, rules) });
  }
});

afterAll(async () => {
  await Promise.all([open?.close(), filtered?.close()]);
});

describe(`Spark REST vectors (${file})`, () => {
  it('the file holds vectors with known fields only', () => {
    expect(vectors.length).toBeGreaterThan(0);
    for (const v of vectors) {
      for (const key of Object.keys(v)) {
        expect(VECTOR_FIELDS.has(key), `${v.name}: unknown field ${key}`).toBe(true);
      }
    }
  });

  for (const v of vectors) {
    it(v.name, async () => {
      const target = filterKey(v) ? filtered : open;
      if (!target) throw new Error('no gateway for this vector');
      const path = v.path.includes('${') ? fill(v.path, { submissionId }) : v.path;
      const response = await fetch(`${target.url}${path}`, {
        method: v.method,
        headers: v.headers ?? {},
        ...(v.body === null ? {} : { body: v.body }),
      });
      const text = await response.text();
      // Where Spark's behaviour breaks "never a 5xx", our deviation is what must hold.
      const status = v.deviationAllowed?.status ?? v.expectedStatus;
      expect(response.status, text).toBe(status);
      const jsonBody = v.deviationAllowed ? v.deviationAllowed.body !== 'html' : v.expectedJsonBody;
      if (!jsonBody) {
        expect(() => JSON.parse(text)).toThrow();
        if (response.status === 403) {
          expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
        }
        return;
      }
      expect(response.headers.get('content-type')).toBe('application/json;charset=utf-8');
      const body = JSON.parse(text) as Record<string, unknown>;
      checkSparkFormat(text, body);
      expect(typeof body.serverSparkVersion).toBe('string');
      if (v.expect) checkExpectation(v.expect, body, submissionId);
      if (body.action === 'CreateSubmissionResponse' && typeof body.submissionId === 'string') {
        submissionId = body.submissionId;
      }
    });
  }
});
