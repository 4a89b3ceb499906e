// Spark's REST submission protocol (spec §a), byte-compatible with Spark 4.1's
// RestSubmissionServer: routing, message serialisation and the parse + validate of
// CreateSubmissionRequest. Pure: the HTTP handlers decide what to answer with it.

import {
  createScanner,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { isJavaDouble, memoryStringToMb, parseBoolean } from '../core/properties.js';
import { clientText, type SubmissionRequest } from '../core/submission.js';

/** The Spark version we answer as (`serverSparkVersion`). */
export const SERVER_SPARK_VERSION = '4.1.1';
/** The only protocol version, the first path segment. */
export const PROTOCOL_VERSION = 'v1';
/** Every protocol response carries this content type. */
export const SPARK_REST_CONTENT_TYPE = 'application/json;charset=utf-8';
/** Spark's non-standard status for an unknown protocol version. */
export const SC_UNKNOWN_PROTOCOL_VERSION = 468;

const REST_PACKAGE = 'org.apache.spark.deploy.rest';
const PROTOCOL_EXCEPTION = `${REST_PACKAGE}.SubmitRestProtocolException`;
const MISSING_FIELD_EXCEPTION = `${REST_PACKAGE}.SubmitRestMissingFieldException`;
const MISMATCHED_INPUT_EXCEPTION = 'com.fasterxml.jackson.databind.exc.MismatchedInputException';
const JSON_PARSE_EXCEPTION = 'com.fasterxml.jackson.core.JsonParseException';
const NO_CONTENT_EXCEPTION = 'com.fasterxml.jackson.databind.exc.MismatchedInputException';

// ---------------------------------------------------------------------------------------
// Serialisation

/**
 * Jackson's DefaultPrettyPrinter as Spark configures it: bean keys sorted, null values
 * omitted, `"key" : value`, arrays inline (`[ "a", "b" ]`, `[ ]`), empty objects `{ }`.
 * Nested objects are sorted and null-pruned too (protocol messages have none; this keeps
 * the output deterministic).
 */
export function sparkJson(message: object): string {
  return writeJson(message, 0);
}

function writeJson(value: unknown, depth: number): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    // Jackson's inline array indenter does not add a nesting level.
    return `[ ${value.map((v) => writeJson(v ?? null, depth)).join(', ')} ]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      // Java's String.compareTo and JS's `<` both compare UTF-16 code units.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return '{ }';
    const pad = '  '.repeat(depth + 1);
    const body = entries
      .map(([k, v]) => `${pad}${JSON.stringify(k)} : ${writeJson(v, depth + 1)}`)
      .join(',\n');
    return `{\n${body}\n${'  '.repeat(depth)}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// ---------------------------------------------------------------------------------------
// Responses

export interface SparkRestResponse {
  readonly statusCode: number;
  readonly body: string;
}

function respond(statusCode: number, message: object): SparkRestResponse {
  return { statusCode, body: sparkJson(message) };
}

export function createSubmissionResponse(r: {
  readonly submissionId?: string | undefined;
  readonly success: boolean;
  readonly message: string;
  readonly unknownFields?: readonly string[] | undefined;
}): SparkRestResponse {
  return respond(200, {
    action: 'CreateSubmissionResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    success: r.success,
    submissionId: r.submissionId,
    message: r.message,
    unknownFields: r.unknownFields && r.unknownFields.length > 0 ? r.unknownFields : undefined,
  });
}

export function killSubmissionResponse(
  submissionId: string,
  success: boolean,
  message: string,
): SparkRestResponse {
  return respond(200, {
    action: 'KillSubmissionResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    submissionId,
    success,
    message,
  });
}

export function killAllSubmissionResponse(success: boolean, message: string): SparkRestResponse {
  return respond(200, {
    action: 'KillAllSubmissionResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    success,
    message,
  });
}

export function submissionStatusResponse(r: {
  readonly submissionId: string;
  readonly success: boolean;
  readonly driverState?: string | undefined;
  readonly workerId?: string | undefined;
  readonly workerHostPort?: string | undefined;
  readonly message?: string | undefined;
}): SparkRestResponse {
  return respond(200, {
    action: 'SubmissionStatusResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    submissionId: r.submissionId,
    success: r.success,
    driverState: r.driverState,
    workerId: r.workerId,
    workerHostPort: r.workerHostPort,
    message: r.message,
  });
}

export function clearResponse(): SparkRestResponse {
  return respond(200, {
    action: 'ClearResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    success: true,
    message: '',
  });
}

export function readyzResponse(): SparkRestResponse {
  return respond(200, {
    action: 'ReadyzResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    success: true,
    message: '',
  });
}

/** Spark's ErrorResponse: never carries `success`. */
export function errorResponse(
  status: number,
  message: string,
  highestProtocolVersion?: string,
): SparkRestResponse {
  return respond(status, {
    action: 'ErrorResponse',
    serverSparkVersion: SERVER_SPARK_VERSION,
    message,
    highestProtocolVersion,
  });
}

// ---------------------------------------------------------------------------------------
// Routing

export type SubmissionAction = 'create' | 'kill' | 'killall' | 'status' | 'clear' | 'readyz';

export type SubmissionRoute =
  | { readonly kind: 'create' }
  | { readonly kind: 'kill'; readonly submissionId: string }
  | { readonly kind: 'killall' }
  | { readonly kind: 'status'; readonly submissionId: string }
  | { readonly kind: 'clear' }
  | { readonly kind: 'readyz' }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly body: string;
      /** Set on 405: the one method the action answers, for an `Allow` header. */
      readonly allow?: 'GET' | 'POST';
    };

/** The one method each action servlet implements. */
const ACTION_METHODS: ReadonlyMap<string, 'GET' | 'POST'> = new Map<string, 'GET' | 'POST'>([
  ['create', 'POST'],
  ['kill', 'POST'],
  ['killall', 'POST'],
  ['status', 'GET'],
  ['clear', 'POST'],
  ['readyz', 'GET'],
] satisfies [SubmissionAction, 'GET' | 'POST'][]);

const PATH_HINT = ` Please submit requests through http://[host]:[port]/${PROTOCOL_VERSION}/submissions/...`;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape is not an error in itself: the raw text is then the segment.
    return segment;
  }
}

/**
 * Spark's servlet mapping (spec §a.1, §a.2) for a raw request path. Actions are
 * path-prefix mappings (`/v1/submissions/<action>[/*]`); every other path goes to the
 * error servlet, whatever the method.
 */
export function routeSubmission(method: string, path: string): SubmissionRoute {
  const query = path.indexOf('?');
  const raw = query < 0 ? path : path.slice(0, query);
  const segments = (raw.startsWith('/') ? raw.slice(1) : raw).split('/').map(decodeSegment);
  const [version, prefix, action, ...rest] = segments;
  const allowed =
    version === PROTOCOL_VERSION && prefix === 'submissions' && action !== undefined
      ? ACTION_METHODS.get(action)
      : undefined;
  if (allowed === undefined) return errorServlet(segments.filter((s) => s.length > 0));

  // Deliberate deviation (PROTOCOL.md): Spark's container answers an HTML 405 page here.
  // Each action implements exactly one method; HEAD and OPTIONS are refused too.
  if (method !== allowed) {
    const reply = errorResponse(
      405,
      `HTTP method ${clientText(method)} is not supported by this URL; use ${allowed}.`,
    );
    return { kind: 'error', status: reply.statusCode, body: reply.body, allow: allowed };
  }
  switch (action) {
    case 'kill':
    case 'status': {
      const submissionId = rest.find((s) => s.length > 0);
      if (submissionId === undefined) {
        const reply = errorResponse(400, `Submission ID is missing in ${action} request.`);
        return { kind: 'error', status: reply.statusCode, body: reply.body };
      }
      return { kind: action, submissionId };
    }
    case 'create':
      return { kind: 'create' };
    case 'killall':
      return { kind: 'killall' };
    case 'clear':
      return { kind: 'clear' };
    default:
      return { kind: 'readyz' };
  }
}

/** Spark's ErrorServlet: the first matching rule on the non-empty path segments wins. */
function errorServlet(parts: readonly string[]): SubmissionRoute {
  const [first, second] = parts;
  let message: string;
  let unknownVersion = false;
  if (first === undefined) message = 'Missing protocol version.';
  else if (first === PROTOCOL_VERSION && second === undefined) {
    message = 'Missing the /submissions prefix.';
  } else if (first === PROTOCOL_VERSION && second === 'submissions') {
    message =
      'Missing an action: please specify one of /create, /kill, /killall, /clear, /status, or /readyz.';
  } else {
    // Also `/v1/<not submissions>`: Spark then claims 'v1' is unknown (spec §a.2 quirk).
    unknownVersion = true;
    message = `Unknown protocol version '${clientText(first)}'.`;
  }
  const reply = unknownVersion
    ? errorResponse(SC_UNKNOWN_PROTOCOL_VERSION, message + PATH_HINT, PROTOCOL_VERSION)
    : errorResponse(400, message + PATH_HINT);
  return { kind: 'error', status: reply.statusCode, body: reply.body };
}

// ---------------------------------------------------------------------------------------
// JSON reading
//
// jsonc-parser in strict JSON mode instead of JSON.parse, because Spark's reading depends
// on what JSON.parse loses: the source text of numbers (Jackson hands `1.0` to a String
// field as "1.0"), duplicate keys (the first `action` names the class, later fields win),
// and key order (unknownFields is in client order). Its tree keeps all three; this adapter
// turns it into JsonNode and words errors like Jackson's JsonParseException.

type JsonNode =
  | { readonly type: 'object'; readonly fields: readonly (readonly [string, JsonNode])[] }
  | { readonly type: 'array'; readonly items: readonly JsonNode[] }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly text: string; readonly float: boolean }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'null' };

/** Jackson's StreamReadConstraints default. */
const MAX_NESTING_DEPTH = 1000;
const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

/** The whole document as one value, or Jackson's exception saying why it is not JSON. */
function readJson(text: string): JsonNode | string {
  const at = (offset: number): string => {
    const before = text.slice(0, offset);
    const column = offset - before.lastIndexOf('\n');
    return ` at [line: ${before.split('\n').length}, column: ${column}]`;
  };
  const tooDeep = nestingOverflow(text);
  if (tooDeep !== undefined) {
    return `${JSON_PARSE_EXCEPTION}: Document nesting depth (${MAX_NESTING_DEPTH + 1}) exceeds the maximum allowed (${MAX_NESTING_DEPTH})${at(tooDeep)}`;
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, STRICT_JSON);
  const [first] = errors;
  if (first !== undefined || root === undefined) {
    const offset = first?.offset ?? 0;
    if (/^[ \t\r\n]*$/.test(text)) {
      // Jackson's databind reports a document with no value at line 1, whatever it holds.
      return `${NO_CONTENT_EXCEPTION}: No content to map due to end-of-input\n at [Source: REDACTED (\`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION\` disabled); line: 1]`;
    }
    const code = first === undefined ? 'ValueExpected' : printParseErrorCode(first.error);
    const where = offset >= text.length ? 'Unexpected end-of-input' : 'Invalid JSON';
    return `${JSON_PARSE_EXCEPTION}: ${where} (${code})${at(offset)}`;
  }
  return toJsonNode(text, root);
}

/**
 * Where the document first nests deeper than Jackson allows. jsonc-parser recurses per
 * level (and overflows the stack near 10000), so this runs first, on its tokens: a
 * closer pops only its own opener, so the count never falls below the parser's depth.
 */
function nestingOverflow(text: string): number | undefined {
  const scanner = createScanner(text, true);
  const closers: number[] = [];
  while (scanner.getPosition() < text.length) {
    scanner.scan();
    const offset = scanner.getTokenOffset();
    const c = text.charCodeAt(offset);
    // '[' + 2 is ']', '{' + 2 is '}'.
    if (c === 0x5b || c === 0x7b) {
      if (closers.push(c + 2) > MAX_NESTING_DEPTH) return offset;
    } else if (c === closers.at(-1)) closers.pop();
  }
  return undefined;
}

/** An error-free jsonc-parser tree (at most MAX_NESTING_DEPTH deep) as a JsonNode. */
function toJsonNode(text: string, node: Node): JsonNode {
  const children = node.children ?? [];
  switch (node.type) {
    case 'object':
      return {
        type: 'object',
        // Each property node holds its key and its value.
        fields: children.map(({ children: [key, value] = [] }) => [
          key?.value as string,
          toJsonNode(text, value as Node),
        ]),
      };
    case 'array':
      return { type: 'array', items: children.map((item) => toJsonNode(text, item)) };
    case 'string':
      return { type: 'string', value: node.value as string };
    case 'number': {
      const source = text.slice(node.offset, node.offset + node.length);
      return { type: 'number', text: source, float: /[.eE]/.test(source) };
    }
    case 'boolean':
      return { type: 'boolean', value: node.value as boolean };
    default:
      return { type: 'null' };
  }
}

// ---------------------------------------------------------------------------------------
// CreateSubmissionRequest

/** A CreateSubmissionRequest as read from the wire, defaults applied. */
export interface CreateSubmissionRequest extends SubmissionRequest {
  readonly clientSparkVersion: string;
  readonly appResource: string;
  readonly mainClass?: string;
  readonly appArgs: readonly string[];
  readonly sparkProperties: Readonly<Record<string, string>>;
  readonly environmentVariables: Readonly<Record<string, string>>;
}

export type CreateSubmissionParse =
  | {
      readonly ok: true;
      readonly request: CreateSubmissionRequest;
      /** Top-level keys Spark reports back (§a.5), in client order. */
      readonly unknownFields: string[];
    }
  | { readonly ok: false; readonly message: string };

type FieldKind = 'string' | 'boolean' | 'stringArray' | 'stringMap';

const CREATE_FIELDS: ReadonlyMap<string, FieldKind> = new Map<string, FieldKind>([
  ['action', 'string'],
  ['clientSparkVersion', 'string'],
  ['appResource', 'string'],
  ['mainClass', 'string'],
  ['appArgs', 'stringArray'],
  ['sparkProperties', 'stringMap'],
  ['environmentVariables', 'stringMap'],
  ['message', 'string'],
]);

/**
 * The other protocol messages and the fields their validate() requires (spec §a.3);
 * `success` is a Boolean, the others are Strings. A Map: the action is client text.
 */
const OTHER_MESSAGES: ReadonlyMap<string, readonly string[]> = new Map([
  ['CreateSubmissionResponse', ['serverSparkVersion', 'success']],
  ['KillSubmissionResponse', ['serverSparkVersion', 'submissionId', 'success']],
  ['KillAllSubmissionResponse', ['serverSparkVersion', 'success']],
  ['SubmissionStatusResponse', ['serverSparkVersion', 'submissionId', 'success']],
  ['ErrorResponse', ['serverSparkVersion', 'message']],
  ['ClearResponse', ['serverSparkVersion', 'success']],
  ['ReadyzResponse', ['serverSparkVersion', 'success']],
]);

const JAVA_TYPES: Readonly<Record<FieldKind, string>> = {
  string: 'java.lang.String',
  boolean: 'java.lang.Boolean',
  stringArray: 'java.lang.String[]',
  stringMap: 'scala.collection.immutable.Map<java.lang.String,java.lang.String>',
};

/** How Jackson names the JSON shape it could not map. */
function jacksonShape(node: JsonNode): string {
  switch (node.type) {
    case 'object':
      return 'Object value (token `JsonToken.START_OBJECT`)';
    case 'array':
      return 'Array value (token `JsonToken.START_ARRAY`)';
    case 'string':
      return 'String value (token `JsonToken.VALUE_STRING`)';
    case 'number':
      return node.float
        ? 'Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)'
        : 'Integer value (token `JsonToken.VALUE_NUMBER_INT`)';
    case 'boolean':
      return `Boolean value (token \`JsonToken.VALUE_${node.value ? 'TRUE' : 'FALSE'}\`)`;
    default:
      return 'Null value (token `JsonToken.VALUE_NULL`)';
  }
}

/** Jackson's String deserializer: scalars are coerced to their text, null stays null. */
function scalarText(node: JsonNode): string | null | undefined {
  switch (node.type) {
    case 'string':
      return node.value;
    case 'number':
      return node.text;
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return null;
    default:
      return undefined;
  }
}

const mismatch = (javaType: string, node: JsonNode, field: string): string =>
  `Malformed request: ${MISMATCHED_INPUT_EXCEPTION}: Cannot deserialize value of type \`${javaType}\` from ${jacksonShape(node)} (field "${field}")`;

const validationFailed = (action: string, cause: string): string =>
  `Malformed request: ${PROTOCOL_EXCEPTION}: Validation of message ${action} failed!\n\tCaused by: ${cause}`;

const missingField = (action: string, field: string): string =>
  validationFailed(
    action,
    `${MISSING_FIELD_EXCEPTION}: '${field}' is missing in message ${action}.`,
  );

const invalidRequest = (detail: string): string =>
  validationFailed('CreateSubmissionRequest', `${PROTOCOL_EXCEPTION}: ${detail}`);

/** Lone surrogates cannot be stored or re-encoded as UTF-8 (String#isWellFormed is ES2024). */
const isWellFormed = (s: string): boolean => !/\p{Surrogate}/u.test(s);

type MapValue = ReadonlyMap<string, string | null>;
type Mapped = {
  strings: Map<string, string | null>;
  appArgs?: readonly (string | null)[] | null;
  maps: Map<string, MapValue | null>;
};

/**
 * Spark's `SubmitRestProtocolMessage.fromJson` + `validate()` for the create endpoint
 * (spec §a.3–§a.5). A failure carries the whole ErrorResponse message (answered with 400).
 */
export function parseCreateSubmissionRequest(body: string): CreateSubmissionParse {
  const root = readJson(body);
  if (typeof root === 'string') {
    return { ok: false, message: `Malformed request: ${root}` };
  }

  // parseAction: the first `action` key of a top-level object, and it must be a string.
  const actionNode =
    root.type === 'object' ? root.fields.find(([k]) => k === 'action')?.[1] : undefined;
  if (root.type !== 'object' || actionNode?.type !== 'string') {
    return {
      ok: false,
      message: `Malformed request: ${MISSING_FIELD_EXCEPTION}: Action field not found in JSON:\n${body}`,
    };
  }
  const action = actionNode.value;
  if (action !== 'CreateSubmissionRequest') {
    const required = OTHER_MESSAGES.get(action);
    // Spark loads the class by name; no such class escapes as a 500, we answer 400.
    if (required === undefined) {
      return {
        ok: false,
        message: `Malformed request: java.lang.ClassNotFoundException: ${REST_PACKAGE}.${clientText(action)}`,
      };
    }
    const problem = validateOther(action, required, root.fields);
    return {
      ok: false,
      message: problem ?? `Received message of unexpected type ${action}.`,
    };
  }

  // Jackson maps fields in document order and stops at the first type mismatch; a
  // repeated key overwrites the earlier value.
  const mapped: Mapped = { strings: new Map(), maps: new Map() };
  for (const [key, node] of root.fields) {
    const kind = CREATE_FIELDS.get(key);
    if (kind === undefined) continue;
    const error = mapField(key, kind, node, mapped);
    if (error !== undefined) return { ok: false, message: error };
  }

  const problem = validateCreate(mapped);
  if (problem !== undefined) return { ok: false, message: problem };

  const unknown = new Set<string>();
  for (const [key] of root.fields) {
    if (!CREATE_FIELDS.has(key) || isNullAfterMapping(key, mapped)) unknown.add(key);
  }
  const unknownFields = [...unknown];

  const text = (k: string): string | undefined => mapped.strings.get(k) ?? undefined;
  const record = (k: string): Record<string, string> =>
    // fromEntries, not assignment: a key named __proto__ stays a key.
    Object.fromEntries(mapped.maps.get(k) ?? new Map()) as Record<string, string>;
  const mainClass = text('mainClass');
  const request: CreateSubmissionRequest = {
    clientSparkVersion: text('clientSparkVersion') as string,
    appResource: text('appResource') as string,
    ...(mainClass === undefined ? {} : { mainClass }),
    appArgs: (mapped.appArgs ?? []) as string[],
    sparkProperties: record('sparkProperties'),
    environmentVariables: record('environmentVariables'),
  };
  return { ok: true, request, unknownFields };
}

/** The server re-serialises without nulls, so a known key whose final value is null is reported. */
function isNullAfterMapping(key: string, mapped: Mapped): boolean {
  if (key === 'appArgs') return (mapped.appArgs ?? null) === null;
  if (mapped.maps.has(key)) return mapped.maps.get(key) === null;
  return (mapped.strings.get(key) ?? null) === null;
}

function mapField(
  key: string,
  kind: FieldKind,
  node: JsonNode,
  mapped: Mapped,
): string | undefined {
  if (kind === 'string') {
    const text = scalarText(node);
    if (text === undefined) return mismatch(JAVA_TYPES.string, node, key);
    mapped.strings.set(key, text);
    return undefined;
  }
  if (kind === 'stringArray') {
    if (node.type === 'null') {
      mapped.appArgs = null;
      return undefined;
    }
    if (node.type !== 'array') return mismatch(JAVA_TYPES.stringArray, node, key);
    const items: (string | null)[] = [];
    for (const item of node.items) {
      const text = scalarText(item);
      if (text === undefined) return mismatch(JAVA_TYPES.string, item, key);
      items.push(text);
    }
    mapped.appArgs = items;
    return undefined;
  }
  // stringMap
  if (node.type === 'null') {
    mapped.maps.set(key, null);
    return undefined;
  }
  if (node.type !== 'object') return mismatch(JAVA_TYPES.stringMap, node, key);
  const entries = new Map<string, string | null>();
  for (const [k, v] of node.fields) {
    const text = scalarText(v);
    if (text === undefined) return mismatch(JAVA_TYPES.string, v, key);
    entries.set(k, text);
  }
  mapped.maps.set(key, entries);
  return undefined;
}

/** Required fields of another message, with the JSON types Jackson would map. */
function validateOther(
  action: string,
  required: readonly string[],
  fields: readonly (readonly [string, JsonNode])[],
): string | undefined {
  for (const name of required) {
    // Later duplicates win, as in Jackson's bean mapping.
    const node = fields.findLast(([k]) => k === name)?.[1];
    if (node === undefined || node.type === 'null') return missingField(action, name);
    const kind: FieldKind = name === 'success' ? 'boolean' : 'string';
    const fits = kind === 'boolean' ? node.type === 'boolean' : scalarText(node) !== undefined;
    if (!fits) {
      return validationFailed(
        action,
        `${MISMATCHED_INPUT_EXCEPTION}: Cannot deserialize value of type \`${JAVA_TYPES[kind]}\` from ${jacksonShape(node)} (field "${name}")`,
      );
    }
  }
  return undefined;
}

/** Spark's checks on sparkProperties (only when the key is present). */
const PROPERTY_CHECKS: readonly (readonly [string, string, (value: string) => boolean])[] = [
  ['spark.driver.supervise', 'boolean', (v) => succeeds(() => parseBoolean(v))],
  ['spark.driver.cores', 'numeric', isJavaDouble],
  ['spark.cores.max', 'numeric', isJavaDouble],
  ['spark.driver.memory', 'memory', (v) => succeeds(() => memoryStringToMb(v))],
  ['spark.executor.memory', 'memory', (v) => succeeds(() => memoryStringToMb(v))],
];

function succeeds(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

const quoteKey = (key: string): string => `'${clientText(key)}'`;

/** CreateSubmissionRequest.validate() in Spark's order, then sparkplane's own checks. */
function validateCreate(mapped: Mapped): string | undefined {
  const action = 'CreateSubmissionRequest';
  if ((mapped.strings.get('clientSparkVersion') ?? null) === null) {
    return missingField(action, 'clientSparkVersion');
  }
  const props = mapped.maps.get('sparkProperties') ?? null;
  if (props === null) return missingField(action, 'sparkProperties');
  if ((mapped.strings.get('appResource') ?? null) === null) {
    return missingField(action, 'appResource');
  }
  for (const [key, type, accepts] of PROPERTY_CHECKS) {
    if (!props.has(key)) continue;
    const value = props.get(key) ?? null;
    // A null value fails Spark's conversion too, and reads as 'null' in its message.
    if (value === null || !accepts(value)) {
      return invalidRequest(
        `Property '${key}' expected ${type} value: actual was '${value === null ? 'null' : clientText(value)}'.`,
      );
    }
  }

  // sparkplane's additions: what its store and drivers cannot carry.
  for (const field of ['clientSparkVersion', 'appResource', 'mainClass']) {
    const value = mapped.strings.get(field);
    if (typeof value === 'string' && !isWellFormed(value)) return illFormed(`'${field}'`);
  }
  const args = mapped.appArgs ?? [];
  for (const [i, arg] of args.entries()) {
    if (arg === null) return invalidRequest(`'appArgs' has a null element at index ${i}.`);
    if (!isWellFormed(arg)) return illFormed(`'appArgs' element ${i}`);
  }
  for (const field of ['sparkProperties', 'environmentVariables']) {
    for (const [key, value] of mapped.maps.get(field) ?? []) {
      if (key === '') return invalidRequest(`'${field}' has an empty key, which cannot be stored.`);
      if (INHERITED.has(key)) {
        return invalidRequest(
          `'${field}' has the key ${quoteKey(key)}, a name JavaScript objects reserve; it cannot be stored.`,
        );
      }
      if (!isWellFormed(key)) return illFormed(`A key of '${field}'`);
      if (value === null) {
        return invalidRequest(`'${field}' has a null value for key ${quoteKey(key)}.`);
      }
      if (!isWellFormed(value)) return illFormed(`The value of '${field}' key ${quoteKey(key)}`);
    }
  }
  return undefined;
}

/** Names every JavaScript object has: DynamoDB's marshalling misreads maps with them. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

const illFormed = (what: string): string =>
  invalidRequest(`${what} is not well-formed UTF-16 (it contains a lone surrogate).`);
