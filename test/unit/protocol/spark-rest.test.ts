// Spark's REST submission wire format (spec §a): serialisation, routing and the parse +
// validate of CreateSubmissionRequest, then every vector of rest-vectors.json that can be
// decided without a store. The file is `SPARK_REST_VECTORS`, default
// ../shared/spark-cases/rest-vectors.json.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverDescription } from '../../../lib/core/submission.js';
import {
  clearResponse,
  createSubmissionResponse,
  errorResponse,
  killAllSubmissionResponse,
  killSubmissionResponse,
  parseCreateSubmissionRequest,
  readyzResponse,
  routeSubmission,
  SERVER_SPARK_VERSION,
  SPARK_REST_CONTENT_TYPE,
  type SparkRestResponse,
  type SubmissionRoute,
  sparkJson,
  submissionStatusResponse,
} from '../../../lib/protocol/spark-rest.js';
import { DOCS_CREATE_REQUEST, DOCS_SPARK_PROPERTIES } from '../../fixtures/spark-docs.js';
import { repoRoot } from '../../paths.js';

const HINT = ' Please submit requests through http://[host]:[port]/v1/submissions/...';
const MALFORMED = 'Malformed request: ';
const VALIDATION_FAILED =
  'Malformed request: org.apache.spark.deploy.rest.SubmitRestProtocolException: Validation of message CreateSubmissionRequest failed!';
const CAUSED_BY = '\n\tCaused by: ';
const PROTOCOL_EXCEPTION = 'org.apache.spark.deploy.rest.SubmitRestProtocolException';

const bodyOf = (r: { body: string }): Record<string, unknown> =>
  JSON.parse(r.body) as Record<string, unknown>;

/** The docs' Spark Pi request (spec §a.7), with overrides; `undefined` removes a key. */
function request(overrides: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = { ...DOCS_CREATE_REQUEST };
  const merged = { ...base, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete merged[k];
  return JSON.stringify(merged);
}

const withProps = (props: Record<string, unknown>): string =>
  request({ sparkProperties: { 'spark.app.name': 'x', ...props } });

function failure(body: string): string {
  const parsed = parseCreateSubmissionRequest(body);
  if (parsed.ok) throw new Error(`expected a failure, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

function success(body: string) {
  const parsed = parseCreateSubmissionRequest(body);
  if (!parsed.ok) throw new Error(`expected success, got: ${parsed.message}`);
  return parsed;
}

function errorOf(route: SubmissionRoute): { status: number; json: Record<string, unknown> } {
  if (route.kind !== 'error') throw new Error(`expected an error route, got ${route.kind}`);
  return { status: route.status, json: bodyOf(route) };
}

describe('sparkJson (Jackson DefaultPrettyPrinter)', () => {
  it('prints the readyz example of spec §a.3 byte for byte', () => {
    expect(readyzResponse().body).toBe(
      '{\n  "action" : "ReadyzResponse",\n  "message" : "",\n  "serverSparkVersion" : "4.1.1",\n  "success" : true\n}',
    );
  });

  it('sorts keys, drops null and undefined, keeps empty values', () => {
    expect(
      sparkJson({ zeta: 1, alpha: null, beta: undefined, Gamma: '', delta: [], eps: {} }),
    ).toBe('{\n  "Gamma" : "",\n  "delta" : [ ],\n  "eps" : { },\n  "zeta" : 1\n}');
  });

  it('sorts by UTF-16 code units, like Java String.compareTo', () => {
    expect(sparkJson({ b: 1, a: 2, B: 3, _: 4, 'a.b': 5 })).toBe(
      '{\n  "B" : 3,\n  "_" : 4,\n  "a" : 2,\n  "a.b" : 5,\n  "b" : 1\n}',
    );
  });

  it('prints arrays inline and nests objects two spaces deeper', () => {
    expect(sparkJson({ unknownFields: ['x', 'y'], n: { b: false, a: [1, 2.5] } })).toBe(
      '{\n  "n" : {\n    "a" : [ 1, 2.5 ],\n    "b" : false\n  },\n  "unknownFields" : [ "x", "y" ]\n}',
    );
  });

  it('does not add a nesting level for an object inside an array', () => {
    expect(sparkJson({ a: [{ q: 1 }, null] })).toBe('{\n  "a" : [ {\n    "q" : 1\n  }, null ]\n}');
  });

  it('prints an empty message as { }', () => {
    expect(sparkJson({})).toBe('{ }');
    expect(sparkJson({ a: null })).toBe('{ }');
  });

  it('escapes strings as JSON.stringify does', () => {
    expect(sparkJson({ m: 'say "hi"\\\n\t\u0001é😀' })).toBe(
      '{\n  "m" : "say \\"hi\\"\\\\\\n\\t\\u0001é😀"\n}',
    );
  });
});

describe('response builders', () => {
  it('use the JSON content type with a charset', () => {
    expect(SPARK_REST_CONTENT_TYPE).toBe('application/json;charset=utf-8');
    expect(SERVER_SPARK_VERSION).toBe('4.1.1');
  });

  it('CreateSubmissionResponse, accepted', () => {
    expect(
      createSubmissionResponse({
        submissionId: 'driver-20231124153531-0000',
        success: true,
        message: 'Driver successfully submitted as driver-20231124153531-0000',
      }),
    ).toEqual({
      statusCode: 200,
      body: '{\n  "action" : "CreateSubmissionResponse",\n  "message" : "Driver successfully submitted as driver-20231124153531-0000",\n  "serverSparkVersion" : "4.1.1",\n  "submissionId" : "driver-20231124153531-0000",\n  "success" : true\n}',
    });
  });

  it('CreateSubmissionResponse carries unknownFields only when there are some', () => {
    const withUnknown = createSubmissionResponse({
      submissionId: 'd',
      success: true,
      message: 'm',
      unknownFields: ['x', 'y'],
    });
    expect(withUnknown.body).toContain('\n  "unknownFields" : [ "x", "y" ]\n}');
    const without = createSubmissionResponse({ success: false, message: 'm', unknownFields: [] });
    expect(bodyOf(without)).toEqual({
      action: 'CreateSubmissionResponse',
      message: 'm',
      serverSparkVersion: '4.1.1',
      success: false,
    });
  });

  it('KillSubmissionResponse and KillAllSubmissionResponse', () => {
    expect(
      killSubmissionResponse(
        'driver-1',
        false,
        'Driver driver-1 has already finished or does not exist',
      ),
    ).toEqual({
      statusCode: 200,
      body: '{\n  "action" : "KillSubmissionResponse",\n  "message" : "Driver driver-1 has already finished or does not exist",\n  "serverSparkVersion" : "4.1.1",\n  "submissionId" : "driver-1",\n  "success" : false\n}',
    });
    expect(killAllSubmissionResponse(true, 'Kill request for all drivers submitted')).toEqual({
      statusCode: 200,
      body: '{\n  "action" : "KillAllSubmissionResponse",\n  "message" : "Kill request for all drivers submitted",\n  "serverSparkVersion" : "4.1.1",\n  "success" : true\n}',
    });
  });

  it('SubmissionStatusResponse omits what it does not know', () => {
    expect(submissionStatusResponse({ submissionId: 'nope', success: false }).body).toBe(
      '{\n  "action" : "SubmissionStatusResponse",\n  "serverSparkVersion" : "4.1.1",\n  "submissionId" : "nope",\n  "success" : false\n}',
    );
    expect(
      bodyOf(
        submissionStatusResponse({
          submissionId: 'd',
          success: true,
          driverState: 'RUNNING',
          workerId: 'w1',
          workerHostPort: 'h:1',
          message: 'Exception from the cluster:\nboom',
        }),
      ),
    ).toEqual({
      action: 'SubmissionStatusResponse',
      driverState: 'RUNNING',
      message: 'Exception from the cluster:\nboom',
      serverSparkVersion: '4.1.1',
      submissionId: 'd',
      success: true,
      workerHostPort: 'h:1',
      workerId: 'w1',
    });
  });

  it('ClearResponse has an empty message', () => {
    expect(clearResponse()).toEqual({
      statusCode: 200,
      body: '{\n  "action" : "ClearResponse",\n  "message" : "",\n  "serverSparkVersion" : "4.1.1",\n  "success" : true\n}',
    });
  });

  it('ErrorResponse never carries success', () => {
    expect(errorResponse(503, 'Master is not ready.')).toEqual({
      statusCode: 503,
      body: '{\n  "action" : "ErrorResponse",\n  "message" : "Master is not ready.",\n  "serverSparkVersion" : "4.1.1"\n}',
    });
    expect(errorResponse(468, 'x', 'v1').body).toBe(
      '{\n  "action" : "ErrorResponse",\n  "highestProtocolVersion" : "v1",\n  "message" : "x",\n  "serverSparkVersion" : "4.1.1"\n}',
    );
  });
});

describe('routeSubmission: action servlets', () => {
  it.each([
    ['POST', '/v1/submissions/create', { kind: 'create' }],
    ['POST', '/v1/submissions/create/', { kind: 'create' }],
    ['POST', '/v1/submissions/create/extra/segments', { kind: 'create' }],
    ['POST', '/v1/submissions/kill/driver-1', { kind: 'kill', submissionId: 'driver-1' }],
    ['POST', '/v1/submissions/kill/driver-1/', { kind: 'kill', submissionId: 'driver-1' }],
    ['POST', '/v1/submissions/kill//driver-1/x', { kind: 'kill', submissionId: 'driver-1' }],
    ['POST', '/v1/submissions/kill/all', { kind: 'kill', submissionId: 'all' }],
    ['POST', '/v1/submissions/killall', { kind: 'killall' }],
    ['POST', '/v1/submissions/killall/x', { kind: 'killall' }],
    ['GET', '/v1/submissions/status/driver-1', { kind: 'status', submissionId: 'driver-1' }],
    ['GET', '/v1/submissions/status/any/thing', { kind: 'status', submissionId: 'any' }],
    ['POST', '/v1/submissions/clear', { kind: 'clear' }],
    ['POST', '/v1/submissions/clear/x/y', { kind: 'clear' }],
    ['GET', '/v1/submissions/readyz', { kind: 'readyz' }],
    ['GET', '/v1/submissions/readyz/', { kind: 'readyz' }],
  ] as const)('%s %s', (method, path, route) => {
    expect(routeSubmission(method, path)).toEqual(route);
  });

  it('decodes percent-encoded segments, action included', () => {
    expect(routeSubmission('GET', '/v1/submissions/status/driver%2D1')).toEqual({
      kind: 'status',
      submissionId: 'driver-1',
    });
    expect(routeSubmission('POST', '/v1/submissions/%6Bill/a%20b')).toEqual({
      kind: 'kill',
      submissionId: 'a b',
    });
    expect(routeSubmission('GET', '/v1/submissions/status/a%2Fb')).toEqual({
      kind: 'status',
      submissionId: 'a/b',
    });
  });

  it('keeps a segment with a bad encoding as it came, without throwing', () => {
    expect(routeSubmission('GET', '/v1/submissions/status/%E0%A4%A')).toEqual({
      kind: 'status',
      submissionId: '%E0%A4%A',
    });
    expect(routeSubmission('GET', '/v1/submissions/status/%ZZ%')).toEqual({
      kind: 'status',
      submissionId: '%ZZ%',
    });
    expect(errorOf(routeSubmission('GET', '/%ZZ')).json.message).toBe(
      `Unknown protocol version '%ZZ'.${HINT}`,
    );
  });

  it('ignores a query string', () => {
    expect(routeSubmission('GET', '/v1/submissions/status/d1?verbose=1')).toEqual({
      kind: 'status',
      submissionId: 'd1',
    });
  });

  it.each([
    ['POST', '/v1/submissions/kill', 'kill'],
    ['POST', '/v1/submissions/kill/', 'kill'],
    ['POST', '/v1/submissions/kill//', 'kill'],
    ['GET', '/v1/submissions/status', 'status'],
    ['GET', '/v1/submissions/status/', 'status'],
  ])('%s %s: 400, submission ID missing', (method, path, action) => {
    expect(errorOf(routeSubmission(method, path))).toEqual({
      status: 400,
      json: {
        action: 'ErrorResponse',
        message: `Submission ID is missing in ${action} request.`,
        serverSparkVersion: '4.1.1',
      },
    });
  });
});

describe('routeSubmission: wrong methods answer 405 with an ErrorResponse (PROTOCOL.md)', () => {
  it.each([
    ['GET', '/v1/submissions/create', 'POST'],
    ['GET', '/v1/submissions/kill/d1', 'POST'],
    ['GET', '/v1/submissions/kill', 'POST'],
    ['GET', '/v1/submissions/killall', 'POST'],
    ['GET', '/v1/submissions/clear', 'POST'],
    ['POST', '/v1/submissions/status/d1', 'GET'],
    ['POST', '/v1/submissions/status', 'GET'],
    ['POST', '/v1/submissions/readyz', 'GET'],
    ['PUT', '/v1/submissions/create', 'POST'],
    ['DELETE', '/v1/submissions/kill/d1', 'POST'],
    ['PATCH', '/v1/submissions/status/d1', 'GET'],
    ['HEAD', '/v1/submissions/readyz', 'GET'],
    ['OPTIONS', '/v1/submissions/clear', 'POST'],
    ['get', '/v1/submissions/readyz', 'GET'],
  ])('%s %s', (method, path, allowed) => {
    const route = routeSubmission(method, path);
    expect(route).toMatchObject({ kind: 'error', status: 405, allow: allowed });
    expect(errorOf(route).json).toEqual({
      action: 'ErrorResponse',
      message: `HTTP method ${method} is not supported by this URL; use ${allowed}.`,
      serverSparkVersion: '4.1.1',
    });
  });

  it('bounds an absurd method name in the message', () => {
    const message = errorOf(routeSubmission('X'.repeat(1000), '/v1/submissions/create')).json
      .message as string;
    expect(message).toBe(`HTTP method ${'X'.repeat(200)} is not supported by this URL; use POST.`);
  });
});

describe('routeSubmission: the error servlet', () => {
  const missingAction =
    'Missing an action: please specify one of /create, /kill, /killall, /clear, /status, or /readyz.';
  it.each([
    ['/', 400, 'Missing protocol version.'],
    ['', 400, 'Missing protocol version.'],
    ['//', 400, 'Missing protocol version.'],
    ['/v1', 400, 'Missing the /submissions prefix.'],
    ['/v1/', 400, 'Missing the /submissions prefix.'],
    ['v1', 400, 'Missing the /submissions prefix.'],
    ['/v1/submissions', 400, missingAction],
    ['/v1/submissions/', 400, missingAction],
    ['/v1/submissions/unknown', 400, missingAction],
    ['/v1/submissions/createx', 400, missingAction],
    ['/v1/submissions/kil/x', 400, missingAction],
    ['/v1/submissions/killallx', 400, missingAction],
    ['/v1/submissions/Create', 400, missingAction],
    // Empty segments are dropped by the error servlet only: this is not the create mapping.
    ['/v1//submissions/create', 400, missingAction],
    ['//v1/submissions/create', 400, missingAction],
  ])('%j: %d', (path, status, message) => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      expect(errorOf(routeSubmission(method, path))).toEqual({
        status,
        json: { action: 'ErrorResponse', message: message + HINT, serverSparkVersion: '4.1.1' },
      });
    }
  });

  it.each([
    ['/v2/submissions/create', 'v2'],
    ['/v2', 'v2'],
    ['/foo/bar', 'foo'],
    ['/json', 'json'],
    ['/%76%32/submissions', 'v2'],
    // Spark's quirk: v1 followed by anything but "submissions" is an unknown version 'v1'.
    ['/v1/foo', 'v1'],
    ['/v1/foo/submissions/create', 'v1'],
  ])('%s: 468 unknown protocol version %s', (path, version) => {
    for (const method of ['GET', 'POST', 'PUT']) {
      expect(errorOf(routeSubmission(method, path))).toEqual({
        status: 468,
        json: {
          action: 'ErrorResponse',
          highestProtocolVersion: 'v1',
          message: `Unknown protocol version '${version}'.${HINT}`,
          serverSparkVersion: '4.1.1',
        },
      });
    }
  });

  it('bounds the echoed version and keeps the body well-formed', () => {
    const long = errorOf(routeSubmission('GET', `/${'v'.repeat(5000)}`)).json.message;
    expect(long).toBe(`Unknown protocol version '${'v'.repeat(200)}'.${HINT}`);
    const lone = errorOf(routeSubmission('GET', '/a\uD800b')).json.message;
    expect(lone).toBe(`Unknown protocol version 'a\uFFFDb'.${HINT}`);
  });
});

describe('parseCreateSubmissionRequest: accepted requests', () => {
  it('reads the docs example (spec §a.7)', () => {
    expect(success(request())).toEqual({
      ok: true,
      request: {
        clientSparkVersion: '',
        appResource: '',
        mainClass: DOCS_CREATE_REQUEST.mainClass,
        appArgs: DOCS_CREATE_REQUEST.appArgs,
        sparkProperties: DOCS_SPARK_PROPERTIES,
        environmentVariables: {},
      },
      unknownFields: [],
    });
  });

  it('defaults appArgs and environmentVariables when missing or null (SPARK-49845)', () => {
    for (const overrides of [
      { appArgs: undefined, environmentVariables: undefined },
      { appArgs: null, environmentVariables: null },
    ]) {
      const { request: r } = success(request(overrides));
      expect(r.appArgs).toEqual([]);
      expect(r.environmentVariables).toEqual({});
    }
  });

  it('leaves mainClass out when it is missing (the driver description refuses it)', () => {
    const { request: r } = success(request({ mainClass: undefined }));
    expect('mainClass' in r).toBe(false);
    expect(success(request({ mainClass: null })).request).not.toHaveProperty('mainClass');
  });

  it('accepts empty clientSparkVersion and appResource', () => {
    const { request: r } = success(request({ clientSparkVersion: '', appResource: '' }));
    expect(r.clientSparkVersion).toBe('');
    expect(r.appResource).toBe('');
  });

  it('coerces numbers and booleans to their JSON text, as Jackson does', () => {
    const body = `{"action":"CreateSubmissionRequest","clientSparkVersion":4.1,"appResource":true,
      "mainClass":12345678901234567890,"appArgs":[1,-2.50e1,false,"x",1.0],
      "sparkProperties":{"spark.driver.cores":2,"spark.cores.max":1.5E2,"flag":true,"big":1e400},
      "environmentVariables":{"N":-0}}`;
    expect(success(body).request).toEqual({
      clientSparkVersion: '4.1',
      appResource: 'true',
      mainClass: '12345678901234567890',
      appArgs: ['1', '-2.50e1', 'false', 'x', '1.0'],
      sparkProperties: {
        'spark.driver.cores': '2',
        'spark.cores.max': '1.5E2',
        flag: 'true',
        big: '1e400',
      },
      environmentVariables: { N: '-0' },
    });
  });

  it('decodes JSON escapes', () => {
    const body = String.raw`{"action":"CreateSubmissionRequest","clientSparkVersion":"","appResource":"a\"b\\c\/d\n\u00e9\ud83d\ude00","sparkProperties":{}}`;
    expect(success(body).request.appResource).toBe('a"b\\c/d\né😀');
  });

  it('refuses keys every JavaScript object has (__proto__, constructor…): they cannot be stored', () => {
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const body = `{"action":"CreateSubmissionRequest","clientSparkVersion":"","appResource":"","sparkProperties":{"${key}":"x"}}`;
      const parsed = parseCreateSubmissionRequest(body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.message).toContain('Validation of message CreateSubmissionRequest failed!');
        expect(parsed.message).toContain(`'sparkProperties' has the key '${key}'`);
      }
    }
  });

  it('lets a repeated key overwrite the earlier one, in fields and in maps', () => {
    const body =
      '{"action":"CreateSubmissionRequest","clientSparkVersion":"","appResource":"first","appResource":"second","sparkProperties":{"k":"1","k":"2"}}';
    const { request: r } = success(body);
    expect(r.appResource).toBe('second');
    expect(r.sparkProperties).toEqual({ k: '2' });
  });

  it('accepts surrogate pairs, raw or escaped', () => {
    const { request: r } = success(
      request({ appArgs: ['😀', 'é'], environmentVariables: { '😀': '😀' } }),
    );
    expect(r.appArgs).toEqual(['😀', 'é']);
    expect(r.environmentVariables).toEqual({ '😀': '😀' });
  });

  it('accepts white space around the document', () => {
    expect(parseCreateSubmissionRequest(` \n\t${request()}\r\n `).ok).toBe(true);
  });
});

describe('parseCreateSubmissionRequest: unknownFields (spec §a.5)', () => {
  it('reports unknown top-level keys in client order', () => {
    const body =
      '{"zeta":1,"action":"CreateSubmissionRequest","clientSparkVersion":"","alpha":{"a":1},"appResource":"","sparkProperties":{"nested.unknown":"x"},"Message":"x"}';
    expect(success(body).unknownFields).toEqual(['zeta', 'alpha', 'Message']);
  });

  it('reports known keys sent as null', () => {
    const body = request({
      message: null,
      mainClass: null,
      appArgs: null,
      environmentVariables: null,
      extra: 1,
    });
    expect(success(body).unknownFields).toEqual([
      'mainClass',
      'appArgs',
      'environmentVariables',
      'message',
      'extra',
    ]);
  });

  it('does not report a known message, a coerced value or keys inside maps', () => {
    const body = request({
      message: 'hello',
      clientSparkVersion: 4,
      environmentVariables: { X: 1 },
    });
    expect(success(body).unknownFields).toEqual([]);
  });

  it('reports a repeated unknown key once, where it first appeared', () => {
    const body =
      '{"x":1,"action":"CreateSubmissionRequest","clientSparkVersion":"","y":2,"x":3,"appResource":"","sparkProperties":{}}';
    expect(success(body).unknownFields).toEqual(['x', 'y']);
  });

  it('reports the response-only key unknownFields and a top-level __proto__', () => {
    const body =
      '{"action":"CreateSubmissionRequest","clientSparkVersion":"","appResource":"","sparkProperties":{},"unknownFields":["a"],"__proto__":{}}';
    expect(success(body).unknownFields).toEqual(['unknownFields', '__proto__']);
  });
});

describe('parseCreateSubmissionRequest: malformed JSON', () => {
  const parseError = 'Malformed request: com.fasterxml.jackson.core.JsonParseException: ';
  it.each([
    ['', 1],
    ['   ', 1],
    ['\n', 1],
  ])('%j: no content, as Jackson databind says it (always at line 1)', (body, line) => {
    expect(failure(body)).toBe(
      'Malformed request: com.fasterxml.jackson.databind.exc.MismatchedInputException: ' +
        'No content to map due to end-of-input\n at [Source: REDACTED ' +
        `(\`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION\` disabled); line: ${line}]`,
    );
  });

  // The reason names jsonc-parser's error code; the position is the first error's.
  it.each([
    ['{', 'Unexpected end-of-input (CloseBraceExpected) at [line: 1, column: 2]'],
    [
      '{"action":"CreateSubmissionRequest"',
      'Unexpected end-of-input (CloseBraceExpected) at [line: 1, column: 36]',
    ],
    ['{"a":[1,2', 'Unexpected end-of-input (CloseBracketExpected) at [line: 1, column: 10]'],
    ['{"a":"abc', 'Invalid JSON (UnexpectedEndOfString) at [line: 1, column: 6]'],
    ['hello', 'Invalid JSON (InvalidSymbol) at [line: 1, column: 1]'],
    ['{"a":tru}', 'Invalid JSON (InvalidSymbol) at [line: 1, column: 6]'],
    ['{"a":NaN}', 'Invalid JSON (InvalidSymbol) at [line: 1, column: 6]'],
    ["{'a':1}", 'Invalid JSON (InvalidSymbol) at [line: 1, column: 2]'],
    ['{"a" 1}', 'Invalid JSON (ColonExpected) at [line: 1, column: 6]'],
    ['{"a":1 "b":2}', 'Invalid JSON (CommaExpected) at [line: 1, column: 8]'],
    ['[1 2]', 'Invalid JSON (CommaExpected) at [line: 1, column: 4]'],
    ['{"a":1,}', 'Invalid JSON (PropertyNameExpected) at [line: 1, column: 8]'],
    ['[1,]', 'Invalid JSON (ValueExpected) at [line: 1, column: 4]'],
    ['{"a":01}', 'Invalid JSON (CommaExpected) at [line: 1, column: 7]'],
    ['{"a":-x}', 'Invalid JSON (InvalidSymbol) at [line: 1, column: 6]'],
    ['{"a":1.}', 'Invalid JSON (UnexpectedEndOfNumber) at [line: 1, column: 6]'],
    ['{"a":1e}', 'Invalid JSON (UnexpectedEndOfNumber) at [line: 1, column: 6]'],
    ['{"a":"\u0001"}', 'Invalid JSON (InvalidCharacter) at [line: 1, column: 6]'],
    ['{"a":"\\x"}', 'Invalid JSON (InvalidEscapeCharacter) at [line: 1, column: 6]'],
    ['{"a":"\\u12g4"}', 'Invalid JSON (InvalidUnicode) at [line: 1, column: 6]'],
    ['{"a":1}\n{"b":2}', 'Invalid JSON (EndOfFileExpected) at [line: 2, column: 1]'],
    ['{"a":1} x', 'Invalid JSON (InvalidSymbol) at [line: 1, column: 9]'],
    ['\u0000{}', 'Invalid JSON (InvalidSymbol) at [line: 1, column: 1]'],
  ])('%j', (body, reason) => {
    const message = failure(body);
    expect(message.startsWith(parseError)).toBe(true);
    expect(message).toContain(reason);
  });

  it('refuses nesting deeper than Jackson allows, without a stack overflow', () => {
    expect(failure(`{"a":${'['.repeat(100_000)}`)).toContain(
      'Document nesting depth (1001) exceeds the maximum allowed (1000)',
    );
    // 999 levels parse (then the action is missing).
    expect(failure(`{"a":${'['.repeat(998)}${']'.repeat(998)}}`)).toContain(
      'Action field not found',
    );
  });
});

describe('parseCreateSubmissionRequest: the action field', () => {
  const notFound = (body: string) =>
    `${MALFORMED}org.apache.spark.deploy.rest.SubmitRestMissingFieldException: Action field not found in JSON:\n${body}`;

  it.each([
    '"hello, world"',
    '[{"action":"CreateSubmissionRequest"}]',
    '42',
    'null',
    'true',
    '{}',
    '{"appResource":""}',
    '{"action":null}',
    '{"action":42}',
    '{"action":{"name":"CreateSubmissionRequest"}}',
    // The first action key decides, as Spark's collectFirst does.
    '{"action":1,"action":"CreateSubmissionRequest"}',
    '{"Action":"CreateSubmissionRequest"}',
  ])('%s', (body) => {
    expect(failure(body)).toBe(notFound(body));
  });

  it('uses the first action key when it is a string', () => {
    expect(failure('{"action":"ReadyzResponse","action":"CreateSubmissionRequest"}')).toContain(
      'Validation of message ReadyzResponse failed!',
    );
  });

  it.each([
    ['CreateSubmissionResponse', '"serverSparkVersion":"4.1.1","success":true'],
    ['KillSubmissionResponse', '"serverSparkVersion":"4.1.1","submissionId":"x","success":true'],
    ['KillAllSubmissionResponse', '"serverSparkVersion":"4.1.1","success":false'],
    ['SubmissionStatusResponse', '"serverSparkVersion":"","submissionId":"x","success":true'],
    ['ErrorResponse', '"serverSparkVersion":"4.1.1","message":"m"'],
    ['ClearResponse', '"serverSparkVersion":"4.1.1","success":true,"extra":[1]'],
    ['ReadyzResponse', '"serverSparkVersion":4,"success":true,"message":""'],
  ])('another valid message (%s): unexpected type', (action, fields) => {
    expect(failure(`{"action":"${action}",${fields}}`)).toBe(
      `Received message of unexpected type ${action}.`,
    );
  });

  it.each([
    ['CreateSubmissionResponse', '"success":true', "'serverSparkVersion' is missing"],
    [
      'KillSubmissionResponse',
      '"serverSparkVersion":"4.1.1","success":true',
      "'submissionId' is missing",
    ],
    [
      'KillSubmissionResponse',
      '"serverSparkVersion":"4.1.1","submissionId":"x"',
      "'success' is missing",
    ],
    [
      'KillAllSubmissionResponse',
      '"serverSparkVersion":"4.1.1","success":null',
      "'success' is missing",
    ],
    [
      'SubmissionStatusResponse',
      '"serverSparkVersion":"4.1.1","submissionId":"x","success":"yes"',
      'java.lang.Boolean',
    ],
    ['ErrorResponse', '"serverSparkVersion":"4.1.1"', "'message' is missing"],
    ['ErrorResponse', '"serverSparkVersion":"4.1.1","message":{}', 'java.lang.String'],
    ['ClearResponse', '"serverSparkVersion":["4.1.1"],"success":true', 'java.lang.String'],
    ['ReadyzResponse', '"serverSparkVersion":"4.1.1"', "'success' is missing"],
  ])('another invalid message (%s): validation failed', (action, fields, cause) => {
    const message = failure(`{"action":"${action}",${fields}}`);
    const [first, second] = message.split(CAUSED_BY);
    expect(first).toBe(
      `${MALFORMED}org.apache.spark.deploy.rest.SubmitRestProtocolException: Validation of message ${action} failed!`,
    );
    expect(second).toContain(cause);
  });

  it('answers an unknown action with ClassNotFoundException (Spark: 500, we: 400)', () => {
    expect(failure('{"action":"SubmitDriverRequest"}')).toBe(
      `${MALFORMED}java.lang.ClassNotFoundException: org.apache.spark.deploy.rest.SubmitDriverRequest`,
    );
    expect(failure('{"action":"createSubmissionRequest","appResource":""}')).toBe(
      `${MALFORMED}java.lang.ClassNotFoundException: org.apache.spark.deploy.rest.createSubmissionRequest`,
    );
  });

  it('bounds and cleans the echoed action', () => {
    const long = failure(JSON.stringify({ action: 'A'.repeat(10_000) }));
    expect(long).toBe(
      `${MALFORMED}java.lang.ClassNotFoundException: org.apache.spark.deploy.rest.${'A'.repeat(200)}`,
    );
    expect(failure('{"action":"X\\ud800Y"}')).toBe(
      `${MALFORMED}java.lang.ClassNotFoundException: org.apache.spark.deploy.rest.X\uFFFDY`,
    );
  });
});

describe('parseCreateSubmissionRequest: field type mismatches', () => {
  const mismatch =
    'Malformed request: com.fasterxml.jackson.databind.exc.MismatchedInputException: ';
  it('names the Java type, the JSON shape and the field', () => {
    expect(failure(request({ appArgs: 'a b' }))).toBe(
      `${mismatch}Cannot deserialize value of type \`java.lang.String[]\` from String value (token \`JsonToken.VALUE_STRING\`) (field "appArgs")`,
    );
    expect(failure(request({ appResource: ['x'] }))).toBe(
      `${mismatch}Cannot deserialize value of type \`java.lang.String\` from Array value (token \`JsonToken.START_ARRAY\`) (field "appResource")`,
    );
    expect(failure(request({ sparkProperties: 5 }))).toBe(
      `${mismatch}Cannot deserialize value of type \`scala.collection.immutable.Map<java.lang.String,java.lang.String>\` from Integer value (token \`JsonToken.VALUE_NUMBER_INT\`) (field "sparkProperties")`,
    );
  });

  it.each([
    [{ clientSparkVersion: {} }, 'java.lang.String', 'Object value', 'clientSparkVersion'],
    [{ mainClass: [] }, 'java.lang.String', 'Array value', 'mainClass'],
    [{ message: { a: 1 } }, 'java.lang.String', 'Object value', 'message'],
    [{ appArgs: {} }, 'java.lang.String[]', 'Object value', 'appArgs'],
    [{ appArgs: 1.5 }, 'java.lang.String[]', 'Floating-point value', 'appArgs'],
    [{ appArgs: true }, 'java.lang.String[]', 'Boolean value', 'appArgs'],
    [{ appArgs: '' }, 'java.lang.String[]', 'String value', 'appArgs'],
    [{ appArgs: ['a', ['b']] }, 'java.lang.String', 'Array value', 'appArgs'],
    [{ appArgs: [{}] }, 'java.lang.String', 'Object value', 'appArgs'],
    [{ sparkProperties: [] }, 'scala.collection.immutable.Map', 'Array value', 'sparkProperties'],
    [{ sparkProperties: '' }, 'scala.collection.immutable.Map', 'String value', 'sparkProperties'],
    [{ sparkProperties: { a: { b: 'c' } } }, 'java.lang.String', 'Object value', 'sparkProperties'],
    [{ sparkProperties: { a: ['c'] } }, 'java.lang.String', 'Array value', 'sparkProperties'],
    [
      { environmentVariables: false },
      'scala.collection.immutable.Map',
      'Boolean value',
      'environmentVariables',
    ],
    [
      { environmentVariables: { X: [] } },
      'java.lang.String',
      'Array value',
      'environmentVariables',
    ],
  ])('%j', (overrides, javaType, shape, field) => {
    const message = failure(request(overrides));
    expect(message.startsWith(`${mismatch}Cannot deserialize value of type \`${javaType}`)).toBe(
      true,
    );
    expect(message).toContain(`from ${shape}`);
    expect(message.endsWith(`(field "${field}")`)).toBe(true);
  });

  it('stops at the first mismatch in document order, before validation', () => {
    const body =
      '{"action":"CreateSubmissionRequest","appArgs":"x","appResource":{},"sparkProperties":null}';
    expect(failure(body)).toContain('(field "appArgs")');
  });

  it('checks a later duplicate of action like any string field', () => {
    const body = '{"action":"CreateSubmissionRequest","action":{},"clientSparkVersion":""}';
    expect(failure(body)).toContain('(field "action")');
  });
});

describe('parseCreateSubmissionRequest: validation', () => {
  const missing = (field: string) =>
    `${VALIDATION_FAILED}${CAUSED_BY}org.apache.spark.deploy.rest.SubmitRestMissingFieldException: '${field}' is missing in message CreateSubmissionRequest.`;

  it.each([
    [{ clientSparkVersion: undefined }, 'clientSparkVersion'],
    [{ clientSparkVersion: null }, 'clientSparkVersion'],
    [{ appResource: undefined }, 'appResource'],
    [{ appResource: null }, 'appResource'],
    [{ sparkProperties: undefined }, 'sparkProperties'],
    [{ sparkProperties: null }, 'sparkProperties'],
    // Spark's order: clientSparkVersion, sparkProperties, then appResource.
    [
      { clientSparkVersion: undefined, appResource: undefined, sparkProperties: undefined },
      'clientSparkVersion',
    ],
    [{ appResource: undefined, sparkProperties: undefined }, 'sparkProperties'],
  ])('%j: %s is missing', (overrides, field) => {
    expect(failure(request(overrides))).toBe(missing(field));
  });

  it('no longer requires spark.app.name (SPARK-50179)', () => {
    expect(parseCreateSubmissionRequest(request({ sparkProperties: {} })).ok).toBe(true);
  });

  const property = (key: string, type: string, value: string) =>
    `${VALIDATION_FAILED}${CAUSED_BY}${PROTOCOL_EXCEPTION}: Property '${key}' expected ${type} value: actual was '${value}'.`;

  it.each([
    ['spark.driver.supervise', 'boolean', 'yes'],
    ['spark.driver.supervise', 'boolean', ''],
    ['spark.driver.cores', 'numeric', 'one hundred feet'],
    ['spark.driver.cores', 'numeric', '1,5'],
    ['spark.cores.max', 'numeric', 'many'],
    ['spark.driver.memory', 'memory', 'lots'],
    ['spark.driver.memory', 'memory', '1.5g'],
    ['spark.executor.memory', 'memory', '-1g'],
    ['spark.executor.memory', 'memory', '2q'],
  ])('%s=%j fails as %s', (key, type, value) => {
    expect(failure(withProps({ [key]: value }))).toBe(property(key, type, value));
  });

  it.each([
    ['spark.driver.supervise', 'TRUE'],
    ['spark.driver.supervise', 'false'],
    ['spark.driver.cores', '1.5'],
    ['spark.driver.cores', ' 2 '],
    ['spark.driver.cores', '1e3'],
    ['spark.cores.max', '-Infinity'],
    ['spark.cores.max', '0x1p3'],
    ['spark.driver.memory', '512m'],
    ['spark.driver.memory', '1048576'],
    ['spark.executor.memory', '2G'],
    ['spark.executor.cores', 'anything'], // not checked by Spark
  ])('%s=%j passes validation', (key, value) => {
    expect(parseCreateSubmissionRequest(withProps({ [key]: value })).ok).toBe(true);
  });

  it('fails a checked property sent as null the way Spark prints it', () => {
    expect(failure(withProps({ 'spark.driver.cores': null }))).toBe(
      property('spark.driver.cores', 'numeric', 'null'),
    );
  });

  it('checks the last value of a repeated property key', () => {
    const body =
      '{"action":"CreateSubmissionRequest","clientSparkVersion":"","appResource":"","sparkProperties":{"spark.driver.cores":"x","spark.driver.cores":"2"}}';
    expect(parseCreateSubmissionRequest(body).ok).toBe(true);
  });

  it('bounds the echoed value', () => {
    expect(failure(withProps({ 'spark.driver.memory': 'x'.repeat(1000) }))).toBe(
      property('spark.driver.memory', 'memory', 'x'.repeat(200)),
    );
  });
});

describe('parseCreateSubmissionRequest: what sparkplane cannot store', () => {
  const ours = (detail: string) =>
    `${VALIDATION_FAILED}${CAUSED_BY}${PROTOCOL_EXCEPTION}: ${detail}`;
  const lone = 'is not well-formed UTF-16 (it contains a lone surrogate).';

  it.each([
    [{ clientSparkVersion: '\uD800' }, `'clientSparkVersion' ${lone}`],
    [{ appResource: 'a\uDC00' }, `'appResource' ${lone}`],
    [{ mainClass: '\uD83D' }, `'mainClass' ${lone}`],
    [{ appArgs: ['ok', 'x\uDFFFy'] }, `'appArgs' element 1 ${lone}`],
    [{ sparkProperties: { 'k\uD800': 'v' } }, `A key of 'sparkProperties' ${lone}`],
    [{ sparkProperties: { k: 'v\uD800' } }, `The value of 'sparkProperties' key 'k' ${lone}`],
    [{ environmentVariables: { '\uDC00': 'v' } }, `A key of 'environmentVariables' ${lone}`],
    [
      { environmentVariables: { K: '\uDC00' } },
      `The value of 'environmentVariables' key 'K' ${lone}`,
    ],
  ])('lone surrogates: %j', (overrides, detail) => {
    // JSON.stringify escapes lone surrogates: the body carries \udxxx escapes.
    expect(failure(request(overrides))).toBe(ours(detail));
  });

  it('also refuses a raw lone surrogate in the body text', () => {
    const body = request({ appResource: 'PLACEHOLDER' }).replace('PLACEHOLDER', '\uD800');
    expect(failure(body)).toBe(ours(`'appResource' ${lone}`));
  });

  it('refuses empty keys', () => {
    expect(failure(request({ sparkProperties: { '': 'x' } }))).toBe(
      ours("'sparkProperties' has an empty key, which cannot be stored."),
    );
    expect(failure(request({ environmentVariables: { '': 'x' } }))).toBe(
      ours("'environmentVariables' has an empty key, which cannot be stored."),
    );
  });

  it('refuses null map values and null arguments', () => {
    expect(failure(request({ sparkProperties: { 'spark.jars': null } }))).toBe(
      ours("'sparkProperties' has a null value for key 'spark.jars'."),
    );
    expect(failure(request({ environmentVariables: { X: null } }))).toBe(
      ours("'environmentVariables' has a null value for key 'X'."),
    );
    expect(failure(request({ appArgs: ['a', null] }))).toBe(
      ours("'appArgs' has a null element at index 1."),
    );
  });

  it("runs Spark's checks first", () => {
    expect(failure(request({ appResource: null, sparkProperties: { '': 'x' } }))).toContain(
      "'appResource' is missing",
    );
  });
});

// ---------------------------------------------------------------------------------------
// rest-vectors.json

interface Expect {
  action?: string;
  success?: boolean | 'absent';
  present?: string[];
  absent?: string[];
  equals?: Record<string, unknown>;
  equalsFormat?: Record<string, string>;
  messageEqualsFormat?: string;
  matches?: Record<string, string>;
  messagePrefix?: string;
  messageContains?: string;
  oneOf?: Record<string, unknown[]>;
}

interface Vector {
  name: string;
  precondition: string;
  method: string;
  path: string;
  body: string | null;
  expectedStatus: number;
  expectedJsonBody: boolean;
  expect?: Expect;
  deviationAllowed?: { status?: number; body?: string; reason?: string };
}

const vectorsFile = process.env.SPARK_REST_VECTORS
  ? resolve(process.env.SPARK_REST_VECTORS)
  : resolve(repoRoot, '../shared/spark-cases/rest-vectors.json');
const vectors = JSON.parse(readFileSync(vectorsFile, 'utf8')) as Vector[];

const SUBMISSION_ID = 'driver-20231124153531-0000';
const ROUTE_OF_ACTION: Record<string, SubmissionRoute['kind']> = {
  CreateSubmissionResponse: 'create',
  KillSubmissionResponse: 'kill',
  KillAllSubmissionResponse: 'killall',
  SubmissionStatusResponse: 'status',
  ClearResponse: 'clear',
  ReadyzResponse: 'readyz',
};

const format = (template: string, json: Record<string, unknown>): string =>
  template.replace(/\$\{(\w+)\}/g, (_, k: string) => String(json[k]));

/** Every expectation of a vector on a response we produced. */
function checkExpect(response: SparkRestResponse, e: Expect): void {
  const json = bodyOf(response);
  // The body is in Spark's canonical form.
  expect(response.body).toBe(sparkJson(json));
  expect(json.serverSparkVersion).toBe(SERVER_SPARK_VERSION);
  if (e.action !== undefined) expect(json.action).toBe(e.action);
  if (e.success === 'absent') expect(json).not.toHaveProperty('success');
  else if (e.success !== undefined) expect(json.success).toBe(e.success);
  for (const k of e.present ?? []) expect(json).toHaveProperty(k);
  for (const k of e.absent ?? []) expect(json).not.toHaveProperty(k);
  for (const [k, v] of Object.entries(e.equals ?? {})) expect(json[k]).toEqual(v);
  for (const [k, t] of Object.entries(e.equalsFormat ?? {})) expect(json[k]).toBe(format(t, json));
  if (e.messageEqualsFormat !== undefined) {
    expect(json.message).toBe(format(e.messageEqualsFormat, json));
  }
  for (const [k, re] of Object.entries(e.matches ?? {})) {
    expect(String(json[k])).toMatch(new RegExp(re));
  }
  if (e.messagePrefix !== undefined)
    expect(String(json.message).startsWith(e.messagePrefix)).toBe(true);
  if (e.messageContains !== undefined) expect(String(json.message)).toContain(e.messageContains);
  for (const [k, values] of Object.entries(e.oneOf ?? {})) expect(values).toContain(json[k]);
}

/** What the create handler answers before it needs the store. */
function createOutcome(body: string): SparkRestResponse {
  const parsed = parseCreateSubmissionRequest(body);
  if (!parsed.ok) return errorResponse(400, parsed.message);
  const built = driverDescription(parsed.request, { placeholder: () => undefined });
  if (!built.ok) return errorResponse(400, built.message);
  return createSubmissionResponse({
    submissionId: SUBMISSION_ID,
    success: true,
    message: `Driver successfully submitted as ${SUBMISSION_ID}`,
    unknownFields: parsed.unknownFields,
  });
}

describe(`rest-vectors.json (${vectors.length} vectors)`, () => {
  it('has vectors', () => {
    expect(vectors.length).toBeGreaterThan(0);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
    const path = v.path.replace(/\$\{submissionId\}/g, SUBMISSION_ID);
    const route = routeSubmission(v.method, path);
    const status = v.deviationAllowed?.status ?? v.expectedStatus;

    // The JWS filter runs before the servlets (spec §a.8): only the routing is ours here.
    if (v.precondition.includes('JWSFilter')) {
      expect(route.kind).not.toBe('error');
      if (route.kind === 'create') expect(parseCreateSubmissionRequest(v.body ?? '').ok).toBe(true);
      return;
    }
    expect(v.expectedJsonBody).toBe(true);
    const e = v.expect as Expect;

    if (route.kind === 'error') {
      expect(route.status).toBe(status);
      checkExpect({ statusCode: route.status, body: route.body }, e);
      return;
    }
    if (route.kind === 'create') {
      const response = createOutcome(v.body ?? '');
      expect(response.statusCode).toBe(status);
      checkExpect(response, e);
      return;
    }
    // Kill, killall, status, clear and readyz answer from the store; the route is ours.
    expect(route.kind).toBe(ROUTE_OF_ACTION[e.action as string]);
    if (route.kind === 'kill' || route.kind === 'status') {
      expect(route.submissionId).toBe(path.split('/')[4]);
    }
    if (route.kind === 'readyz') checkExpect(readyzResponse(), e);
    if (route.kind === 'clear') checkExpect(clearResponse(), e);
  });
});
