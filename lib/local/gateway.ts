// What an API Gateway HTTP API does in front of Lambda (payload format 2.0), for local mode
// and tests: pick a route as API Gateway does, build the APIGatewayProxyEventV2 it would
// send, call the same handler, and map the result back to HTTP the way API Gateway does.
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { isIP } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface GatewayRoute {
  /** 'POST /v1/workers', 'ANY /v1/workers/{proxy+}', 'GET /json/{field}' or '$default'. */
  readonly routeKey: string;
  readonly handler: HttpHandler;
}

export interface Gateway {
  /** Base URL clients use, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly routes: readonly GatewayRoute[];
  /** Default 127.0.0.1: local mode is not meant to be reachable from elsewhere. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 10 MiB, API Gateway's payload limit. */
  readonly maxBodyBytes?: number;
  /** Where handler failures are reported; default stderr. */
  readonly log?: (line: string) => void;
  /**
   * With auth off: only requests addressed to this machine by a loopback name (no DNS
   * rebinding), and no state-changing request from a web page of another origin.
   */
  readonly loopbackOnly?: boolean;
  /**
   * Whether a request with this Authorization header may have its body read. A request
   * refused here reaches its handler with an empty body (which refuses it before reading
   * one) and its connection is closed: an unauthenticated client cannot make the gateway
   * buffer megabytes.
   */
  readonly admitsBody?: (authorization: string | undefined) => Promise<boolean>;
}

export interface RouteMatch {
  readonly route: GatewayRoute;
  readonly pathParameters: Readonly<Record<string, string>>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Connections served at once: each may buffer a body up to the limit. */
const MAX_CONNECTIONS = 128;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A Host header naming this machine by a loopback name, with any port. */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;
/** API Gateway's integration timeout; what getRemainingTimeInMillis counts down from. */
const INTEGRATION_TIMEOUT_MS = 30_000;
/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2_000;
const METHODS = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/javascript',
]);

// ---------------------------------------------------------------------------------------
// Routes

type Segment =
  | { readonly kind: 'static'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

interface CompiledRoute {
  readonly route: GatewayRoute;
  /** undefined for ANY. */
  readonly method: string | undefined;
  readonly segments: readonly Segment[];
}

interface Router {
  readonly routes: readonly CompiledRoute[];
  readonly fallback: GatewayRoute | undefined;
}

/** Segment ranks, lower is more specific: API Gateway prefers static over {x} over {x+}. */
const RANK = { static: 0, param: 1, greedy: 2 } as const;

function compileRoute(route: GatewayRoute): CompiledRoute {
  const match = /^([A-Z]+) (\/\S*)$/.exec(route.routeKey);
  const [, method = '', path = ''] = match ?? [];
  if (!match || !METHODS.has(method)) {
    throw new Error(`Bad route key '${route.routeKey}': expected '<METHOD> /path' or '$default'`);
  }
  const parts = path.slice(1).split('/');
  const segments = parts.map((part, i): Segment => {
    const variable = /^\{([A-Za-z0-9._-]+)(\+?)\}$/.exec(part);
    if (!variable) {
      if (/[{}]/.test(part)) {
        throw new Error(`Bad route key '${route.routeKey}': a variable must be a whole segment`);
      }
      return { kind: 'static', value: part };
    }
    const name = variable[1] ?? '';
    if (variable[2] !== '+') return { kind: 'param', name };
    if (i !== parts.length - 1) {
      throw new Error(`Bad route key '${route.routeKey}': {${name}+} must be the last segment`);
    }
    return { kind: 'greedy', name };
  });
  return { route, method: method === 'ANY' ? undefined : method, segments };
}

/** The same route twice (even with other variable names) is a conflict in API Gateway. */
function shapeOf(route: CompiledRoute): string {
  const path = route.segments
    .map((s) => (s.kind === 'static' ? s.value : s.kind === 'param' ? '{}' : '{+}'))
    .join('/');
  return `${route.method ?? 'ANY'} /${path}`;
}

function compileRoutes(routes: readonly GatewayRoute[]): Router {
  const compiled: CompiledRoute[] = [];
  const shapes = new Map<string, string>();
  let fallback: GatewayRoute | undefined;
  for (const route of routes) {
    if (route.routeKey === '$default') {
      if (fallback) throw new Error('Route $default is defined twice');
      fallback = route;
      continue;
    }
    const c = compileRoute(route);
    const shape = shapeOf(c);
    const clash = shapes.get(shape);
    if (clash !== undefined) {
      throw new Error(`Routes '${clash}' and '${route.routeKey}' conflict`);
    }
    shapes.set(shape, route.routeKey);
    compiled.push(c);
  }
  return { routes: compiled, fallback };
}

/** decodeURIComponent that leaves a malformed escape as it came, as a lenient gateway must. */
function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Map<string, string> | undefined {
  const params = new Map<string, string>();
  for (const [i, segment] of segments.entries()) {
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === 'static') {
      if (part !== segment.value) return undefined;
    } else if (segment.kind === 'param') {
      if (part === '') return undefined;
      params.set(segment.name, decode(part));
    } else {
      const rest = parts.slice(i).join('/');
      if (rest === '') return undefined;
      params.set(segment.name, decode(rest));
      return params;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

/** Negative when a is the more specific route: segment by segment, then a method over ANY. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  // Both matched the same path, so they differ at or before any greedy segment.
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const ra = RANK[a.segments[i]?.kind ?? 'static'];
    const rb = RANK[b.segments[i]?.kind ?? 'static'];
    if (ra !== rb) return ra - rb;
  }
  return (a.method === undefined ? 1 : 0) - (b.method === undefined ? 1 : 0);
}

function selectRoute(router: Router, method: string, rawPath: string): RouteMatch | undefined {
  const parts = rawPath.startsWith('/') ? rawPath.slice(1).split('/') : [];
  let best: { route: CompiledRoute; params: Map<string, string> } | undefined;
  for (const route of router.routes) {
    if (route.method !== undefined && route.method !== method) continue;
    const params = matchSegments(route.segments, parts);
    if (!params) continue;
    if (!best || compareSpecificity(route, best.route) < 0) best = { route, params };
  }
  if (best) return { route: best.route.route, pathParameters: Object.fromEntries(best.params) };
  return router.fallback ? { route: router.fallback, pathParameters: {} } : undefined;
}

/**
 * The route API Gateway would pick for a request, with its decoded path parameters; the
 * path is the raw (still percent-encoded) path without the query. Throws on bad route keys.
 */
export function matchRoute(
  routes: readonly GatewayRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  return selectRoute(compileRoutes(routes), method.toUpperCase(), path);
}

// ---------------------------------------------------------------------------------------
// Request -> event

/** API Gateway's request ids look like this (16 base64 characters). */
function newRequestId(): string {
  return randomBytes(11).toString('base64');
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** requestContext.time is in Common Log Format, UTC: 12/Mar/2020:19:03:58 +0000. */
function clfTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(
    date.getUTCHours(),
  )}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

function decodeQueryComponent(value: string): string {
  // API Gateway decodes query parameters as a form would: '+' is a space.
  return decode(value.replaceAll('+', ' '));
}

function parseQuery(rawQuery: string): Record<string, string> | undefined {
  const params = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    const previous = params.get(key);
    params.set(key, previous === undefined ? value : `${previous},${value}`);
  }
  // fromEntries, not assignment, so a parameter named __proto__ stays a parameter.
  return params.size > 0 ? Object.fromEntries(params) : undefined;
}

function isTextType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return (
    type === '' ||
    type.startsWith('text/') ||
    TEXT_TYPES.has(type) ||
    (type.startsWith('application/') && type.endsWith('+json'))
  );
}

function encodeBody(
  body: Buffer,
  contentType: string | undefined,
): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (isTextType(contentType)) {
    try {
      // fatal: bytes that are not UTF-8 go base64 rather than being mangled into U+FFFD.
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
      return { body: text, isBase64Encoded: false };
    } catch {
      // falls through to base64
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

function unwrapIp(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** 'abc.execute-api…' -> 'abc'; an IP address has no labels to take apart. */
function domainPrefixOf(domainName: string): string {
  const host = domainName.startsWith('[')
    ? domainName.slice(1, domainName.indexOf(']'))
    : (domainName.split(':', 1)[0] ?? '');
  return isIP(host) ? host : (host.split('.', 1)[0] ?? '');
}

interface RequestParts {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
}

function splitUrl(req: IncomingMessage): RequestParts {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQueryString: q < 0 ? '' : url.slice(q + 1),
  };
}

function toEvent(
  req: IncomingMessage,
  parts: RequestParts,
  match: RouteMatch,
  body: Buffer,
  requestId: string,
  localPort: number,
): APIGatewayProxyEventV2 {
  // rawHeaders, not req.headers: Node drops some repeats and joins others with ', '.
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      );
      continue;
    }
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  const sourceIp = unwrapIp(req.socket.remoteAddress);
  // API Gateway appends the caller to X-Forwarded-For and says how it was reached.
  const forwardedFor = headers.get('x-forwarded-for');
  headers.set('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${sourceIp}` : sourceIp);
  headers.set('x-forwarded-port', String(localPort));
  headers.set('x-forwarded-proto', 'http');

  const domainName = headers.get('host') ?? `127.0.0.1:${localPort}`;
  const now = new Date();
  const routeKey = match.route.routeKey;
  const queryStringParameters = parseQuery(parts.rawQueryString);
  const pathParameters =
    Object.keys(match.pathParameters).length > 0 ? { ...match.pathParameters } : undefined;
  return {
    version: '2.0',
    routeKey,
    rawPath: parts.rawPath,
    rawQueryString: parts.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers: Object.fromEntries(headers),
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName,
      domainPrefix: domainPrefixOf(domainName),
      http: {
        method: parts.method,
        path: parts.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp,
        userAgent: headers.get('user-agent') ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...encodeBody(body, req.headers['content-type']),
  };
}

function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  // Callback-style completion would be silently ignored here; fail loudly instead.
  const unsupported = (): never => {
    throw new Error('done/fail/succeed are not supported by the local gateway: return a value');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:local',
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

// ---------------------------------------------------------------------------------------
// Result -> response

interface HttpResponse {
  readonly statusCode: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromStructured(result: APIGatewayProxyStructuredResultV2): HttpResponse {
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) {
    throw new Error(`statusCode must be an integer, got ${JSON.stringify(statusCode)}`);
  }
  // A 1xx cannot be a final answer; API Gateway only passes 2xx-5xx through.
  if (statusCode < 200 || statusCode > 599) {
    throw new Error(`statusCode ${statusCode} is out of range`);
  }
  if (!isRecord(headers)) throw new Error('headers must be an object');
  if (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string')) {
    throw new Error('cookies must be an array of strings');
  }
  if (typeof body !== 'string') throw new Error(`body must be a string, got ${typeof body}`);
  const out: Record<string, string | string[]> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    // The gateway frames the body itself; a handler's own length would be wrong after base64.
    if (name === 'content-length' || name === 'transfer-encoding') continue;
    if (value === null || !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new Error(`header ${rawName} must be a string, number or boolean`);
    }
    validateHeaderName(name);
    validateHeaderValue(name, String(value));
    out[name] = String(value);
  }
  if (cookies.length > 0) {
    for (const cookie of cookies) validateHeaderValue('set-cookie', cookie);
    const existing = out['set-cookie'];
    out['set-cookie'] = [...(existing === undefined ? [] : [existing].flat()), ...cookies];
  }
  return {
    statusCode,
    headers: out,
    body: Buffer.from(body, isBase64Encoded === true ? 'base64' : 'utf8'),
  };
}

/** API Gateway's reading of a payload 2.0 result; throws when it would answer 500. */
function toResponse(result: unknown): HttpResponse {
  // The result reaches API Gateway as JSON, so undefined members vanish and toJSON applies.
  const serialised = JSON.stringify(result);
  // Lambda would send undefined as null; here both mean a handler that forgot to return.
  if (serialised === undefined || serialised === 'null') {
    throw new Error('the handler returned nothing');
  }
  const payload: unknown = JSON.parse(serialised);
  if (isRecord(payload) && payload.statusCode !== undefined) {
    return fromStructured(payload as APIGatewayProxyStructuredResultV2);
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    // A string is the body as it is; anything else is its JSON.
    body: Buffer.from(typeof payload === 'string' ? payload : serialised),
  };
}

function message(statusCode: number, text: string): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message: text })),
  };
}

const BAD_REQUEST = message(400, 'Bad Request');
const NOT_FOUND = message(404, 'Not Found');
const TOO_LARGE = message(413, 'Request Entity Too Large');
const NOT_THIS_HOST = message(403, 'Forbidden: auth is off, only loopback host names are served');
const CROSS_ORIGIN = message(
  403,
  'Forbidden: auth is off, no state-changing request from another origin',
);
const INTERNAL_ERROR = message(500, 'Internal Server Error');

// ---------------------------------------------------------------------------------------
// Server

type BodyRead = { readonly body: Buffer } | 'too-large' | 'aborted';

/** Reads at most limit bytes; past it stops reading so the rest is never taken in. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyRead) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Paused, the socket stops being read; the 413 goes out with Connection: close.
        req.pause();
        done('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done({ body: Buffer.concat(chunks, size) });
    const onClose = () => done('aborted');
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const router = compileRoutes(options.routes);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const host = options.host ?? '127.0.0.1';
  let closing = false;
  let localPort = 0;

  const send = (
    res: ServerResponse,
    requestId: string,
    response: HttpResponse,
    close = false,
  ): void => {
    if (res.headersSent || res.destroyed) return;
    // These statuses never carry a body; a length would make clients wait for one.
    const bodyless = response.statusCode === 204 || response.statusCode === 304;
    res.writeHead(response.statusCode, {
      ...response.headers,
      ...(bodyless ? {} : { 'content-length': response.body.length }),
      'apigw-requestid': requestId,
      ...(close || closing ? { connection: 'close' } : {}),
    });
    res.end(bodyless ? undefined : response.body);
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    expectsContinue: boolean,
  ): Promise<void> => {
    const requestId = newRequestId();
    const parts = splitUrl(req);
    // Only origin-form targets (`/path`) reach API Gateway's routes; `*` or an absolute URL
    // is a bad request there.
    if (!parts.rawPath.startsWith('/')) return send(res, requestId, BAD_REQUEST);
    if (options.loopbackOnly) {
      const hostHeader = req.headers.host ?? '';
      if (!LOOPBACK_HOST.test(hostHeader)) return send(res, requestId, NOT_THIS_HOST, true);
      const origin = req.headers.origin;
      if (
        origin !== undefined &&
        !SAFE_METHODS.has(parts.method) &&
        !(
          URL.canParse(origin) &&
          LOOPBACK_HOST.test(new URL(origin).host) &&
          new URL(origin).port === String(localPort)
        )
      ) {
        return send(res, requestId, CROSS_ORIGIN, true);
      }
    }
    const match = selectRoute(router, parts.method, parts.rawPath);
    if (!match) return send(res, requestId, NOT_FOUND);
    // A declared length over the limit is refused before a byte of it is read.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return send(res, requestId, TOO_LARGE, true);
    const admitted = (await options.admitsBody?.(req.headers.authorization)) ?? true;
    if (admitted && expectsContinue) res.writeContinue();
    const read = admitted ? await readBody(req, maxBodyBytes) : { body: Buffer.alloc(0) };
    if (read === 'aborted') return;
    if (read === 'too-large') return send(res, requestId, TOO_LARGE, true);

    const event = toEvent(req, parts, match, read.body, requestId, localPort);
    let response: HttpResponse;
    try {
      response = toResponse(await match.route.handler(event, lambdaContext(requestId)));
    } catch (error) {
      log(
        `gateway: ${parts.method} ${parts.rawPath} (${match.route.routeKey}) failed, requestId ${requestId}: ${errorText(error)}`,
      );
      response = INTERNAL_ERROR;
    }
    send(res, requestId, response, !admitted);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    serve(req, res, expectsContinue).catch((error: unknown) => {
      // Only a gateway bug gets here; answer like API Gateway would rather than hang.
      log(`gateway: internal error: ${errorText(error)}`);
      if (res.headersSent) res.destroy();
      else send(res, newRequestId(), INTERNAL_ERROR);
    });
  };

  const server = createServer(
    // A slow or silent client cannot hold a connection (and its buffered body) for long.
    { headersTimeout: 10_000, requestTimeout: INTEGRATION_TIMEOUT_MS },
    (req, res) => handle(req, res, false),
  );
  server.maxConnections = MAX_CONNECTIONS;
  // Handled here so an oversized upload is refused before the client is told to send it.
  server.on('checkContinue', (req, res) => handle(req, res, true));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('gateway has no port');
  localPort = address.port;
  const urlHost =
    host === '0.0.0.0'
      ? '127.0.0.1'
      : host === '::'
        ? '[::1]'
        : isIP(host) === 6
          ? `[${host}]`
          : host;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve, reject) => {
      closing = true;
      // In-flight requests get their answer (with Connection: close); stragglers are cut.
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close((error) => {
        clearTimeout(force);
        if (error) reject(error);
        else resolve();
      });
      server.closeIdleConnections();
    });
    return closed;
  };

  return { url: `http://${urlHost}:${localPort}`, port: localPort, close };
}
