// Spark's REST submission protocol (spec §a), byte-compatible with Spark 4.1's
// RestSubmissionServer: routing, message serialisation and the parse + validate of
// CreateSubmissionRequest. Pure: the HTTP handlers decide what to answer with it.

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
// A small RFC 8259 parser instead of JSON.parse because Spark's reading depends on what
// JSON.parse loses: the source text of numbers (Jackson hands `1.0` to a String field as
// "1.0"), duplicate keys (the first `action` names the class, later fields win), and key
// order (unknownFields is in client order). Errors read like Jackson's.

type JsonNode =
  | { readonly type: 'object'; readonly fields: readonly (readonly [string, JsonNode])[] }
  | { readonly type: 'array'; readonly items: readonly JsonNode[] }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly text: string; readonly float: boolean }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'null' };

class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

/** Jackson's StreamReadConstraints default. */
const MAX_NESTING_DEPTH = 1000;
const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/** Jackson's `_getCharDesc`. */
function describeChar(code: number): string {
  if (code < 32 || code === 127) return `(CTRL-CHAR, code ${code})`;
  const shown = clientText(String.fromCharCode(code));
  if (code > 255) return `'${shown}' (code ${code} / 0x${code.toString(16)})`;
  return `'${shown}' (code ${code})`;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isTokenChar = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);

class JsonReader {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  /** The whole document: one value, then only white space. */
  document(): JsonNode {
    this.skipSpace();
    if (this.pos >= this.text.length) {
      throw new JsonSyntaxError('No content to map due to end-of-input');
    }
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) {
      // Jackson would ignore what follows the first value; a truncated or concatenated
      // body is more likely a client bug than something to act on, so refuse it.
      this.fail(
        `Unexpected character ${this.charHere()}: only white space may follow the JSON value`,
      );
    }
    return value;
  }

  private fail(reason: string): never {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(this.pos, this.text.length);
    for (let i = 0; i < end; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(`${reason} at [line: ${line}, column: ${end - lineStart + 1}]`);
  }

  /** Jackson's `Unexpected character (...)` operand for the character at the cursor. */
  private charHere(): string {
    return `(${describeChar(this.text.charCodeAt(this.pos))})`;
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else if (c < 32) {
        this.fail(
          `Illegal character (${describeChar(c)}): only regular white space (\\r, \\n, \\t) is allowed between tokens`,
        );
      } else return;
    }
  }

  private endOfInput(context: string): never {
    this.fail(`Unexpected end-of-input: ${context}`);
  }

  private value(): JsonNode {
    const t = this.text;
    if (this.pos >= t.length) this.endOfInput(`expected a valid value ${VALID_VALUES}`);
    const c = t[this.pos] as string;
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { type: 'string', value: this.string() };
    if (c === '-' || isDigit(c.charCodeAt(0))) return this.number();
    if (isTokenChar(c)) {
      const start = this.pos;
      while (this.pos < t.length && isTokenChar(t[this.pos] as string)) this.pos++;
      const token = t.slice(start, this.pos);
      if (token === 'true') return { type: 'boolean', value: true };
      if (token === 'false') return { type: 'boolean', value: false };
      if (token === 'null') return { type: 'null' };
      this.pos = start;
      this.fail(`Unrecognized token '${clientText(token)}': was expecting ${VALID_VALUES}`);
    }
    this.fail(`Unexpected character ${this.charHere()}: expected a valid value ${VALID_VALUES}`);
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      this.fail(
        `Document nesting depth (${this.depth}) exceeds the maximum allowed (${MAX_NESTING_DEPTH})`,
      );
    }
    this.pos++;
  }

  private object(): JsonNode {
    this.enter();
    const fields: (readonly [string, JsonNode])[] = [];
    const t = this.text;
    this.skipSpace();
    if (t[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return { type: 'object', fields };
    }
    for (;;) {
      this.skipSpace();
      if (this.pos >= t.length) this.endOfInput('expected close marker for OBJECT');
      if (t[this.pos] !== '"') {
        this.fail(
          `Unexpected character ${this.charHere()}: was expecting double-quote to start field name`,
        );
      }
      const key = this.string();
      this.skipSpace();
      if (this.pos >= t.length) this.endOfInput('expected close marker for OBJECT');
      if (t[this.pos] !== ':') {
        this.fail(
          `Unexpected character ${this.charHere()}: was expecting a colon to separate field name and value`,
        );
      }
      this.pos++;
      this.skipSpace();
      if (this.pos >= t.length) this.endOfInput('expected close marker for OBJECT');
      fields.push([key, this.value()]);
      this.skipSpace();
      if (this.pos >= t.length) this.endOfInput('expected close marker for OBJECT');
      const next = t[this.pos];
      this.pos++;
      if (next === '}') break;
      if (next !== ',') {
        this.pos--;
        this.fail(
          `Unexpected character ${this.charHere()}: was expecting comma to separate Object entries`,
        );
      }
    }
    this.depth--;
    return { type: 'object', fields };
  }

  private array(): JsonNode {
    this.enter();
    const items: JsonNode[] = [];
    const t = this.text;
    this.skipSpace();
    if (t[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return { type: 'array', items };
    }
    for (;;) {
      this.skipSpace();
      if (this.pos >= t.length) this.endOfInput('expected close marker for ARRAY');
      if (t[this.pos] === ']') {
        this.fail(`Unexpected character ${this.charHere()}: expected a value`);
      }
      items.push(this.value());
      this.skipSpace();
      if (this.pos >= t.length) this.endOfInput('expected close marker for ARRAY');
      const next = t[this.pos];
      this.pos++;
      if (next === ']') break;
      if (next !== ',') {
        this.pos--;
        this.fail(
          `Unexpected character ${this.charHere()}: was expecting comma to separate Array entries`,
        );
      }
    }
    this.depth--;
    return { type: 'array', items };
  }

  /** A string token starting at the opening quote. */
  private string(): string {
    const t = this.text;
    this.pos++;
    let out = '';
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) {
        this.endOfInput('was expecting closing quote for a string value');
      }
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 32) {
        this.fail(
          `Illegal unquoted character (${describeChar(c)}): has to be escaped using backslash to be included in string value`,
        );
      }
      if (c !== 92) {
        this.pos++;
        continue;
      }
      out += t.slice(chunkStart, this.pos);
      this.pos++;
      if (this.pos >= t.length) {
        this.endOfInput('was expecting closing quote for a string value');
      }
      const e = t[this.pos] as string;
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        this.pos++;
      } else if (e === 'u') {
        let code = 0;
        for (let i = 1; i <= 4; i++) {
          this.pos++;
          if (this.pos >= t.length) {
            this.endOfInput('was expecting closing quote for a string value');
          }
          const h = t[this.pos] as string;
          if (!/^[0-9a-fA-F]$/.test(h)) {
            this.fail(
              `Unexpected character ${this.charHere()}: expected a hex-digit for character escape sequence`,
            );
          }
          code = code * 16 + Number.parseInt(h, 16);
        }
        out += String.fromCharCode(code);
        this.pos++;
      } else {
        this.fail(`Unrecognized character escape ${this.charHere()}`);
      }
      chunkStart = this.pos;
    }
  }

  private number(): JsonNode {
    const t = this.text;
    const start = this.pos;
    let float = false;
    const digits = (after: string): void => {
      if (this.pos >= t.length) this.fail(`Unexpected end-of-input in a Number value`);
      if (!isDigit(t.charCodeAt(this.pos))) {
        this.fail(`Unexpected character ${this.charHere()} in numeric value: ${after}`);
      }
      while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) this.pos++;
    };
    if (t[this.pos] === '-') this.pos++;
    if (t[this.pos] === '0' && isDigit(t.charCodeAt(this.pos + 1))) {
      this.fail('Invalid numeric value: Leading zeroes not allowed');
    }
    digits('expected digit (0-9) to follow minus sign, for valid numeric value');
    if (t[this.pos] === '.') {
      float = true;
      this.pos++;
      digits('Decimal point not followed by a digit');
    }
    if (t[this.pos] === 'e' || t[this.pos] === 'E') {
      float = true;
      this.pos++;
      if (t[this.pos] === '+' || t[this.pos] === '-') this.pos++;
      digits('Exponent indicator not followed by a digit');
    }
    return { type: 'number', text: t.slice(start, this.pos), float };
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

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
  let root: JsonNode;
  try {
    root = new JsonReader(body).document();
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { ok: false, message: `Malformed request: ${JSON_PARSE_EXCEPTION}: ${e.message}` };
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
      if (!isWellFormed(key)) return illFormed(`A key of '${field}'`);
      if (value === null) {
        return invalidRequest(`'${field}' has a null value for key ${quoteKey(key)}.`);
      }
      if (!isWellFormed(value)) return illFormed(`The value of '${field}' key ${quoteKey(key)}`);
    }
  }
  return undefined;
}

const illFormed = (what: string): string =>
  invalidRequest(`${what} is not well-formed UTF-16 (it contains a lone surrogate).`);
