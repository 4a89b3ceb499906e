// The HTTP glue every route family shares: Powertools' router, JSON bodies checked against
// zod schemas (bounded in size, the offending field named), one error shape, and the Lambda
// entry point. Anything the caller sent wrong is a 4xx; only our own failures are 5xx.

import { STATUS_CODES } from 'node:http';
import { ParameterValidationError, Router } from '@aws-lambda-powertools/event-handler/http';
import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { z } from 'zod';
import type { MetricsSink } from '../cloud/metrics.js';
import { Contention } from '../store/apply.js';

/** A refusal with PROTOCOL.md's body: `{"error": code, "message": ...}`. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const describe = (issue: z.core.$ZodIssue): string => {
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
};

/** The request body as JSON, checked by a schema; refused with 400 or 413, never 5xx. */
export async function jsonBody<T>(
  reqCtx: RequestContext,
  schema: z.ZodType<T>,
  maxBytes: number,
): Promise<T> {
  // The event's own body: the router's Request would have decoded it leniently.
  const event = reqCtx.event as { body?: string | null; isBase64Encoded?: boolean };
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.byteLength > maxBytes) {
    throw new ApiError(413, 'body_too_large', `The body exceeds ${maxBytes} bytes`);
  }
  let text: string;
  try {
    // Strict: a body that is not UTF-8 is refused rather than read with U+FFFD in it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'The body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'invalid_json', `The body is not JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError(
      400,
      'invalid_body',
      parsed.error.issues.slice(0, 5).map(describe).join('; '),
    );
  }
  return parsed.data;
}

/** A path parameter checked by a schema. */
export function pathParam<T>(reqCtx: RequestContext, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(reqCtx.params[name]);
  if (!parsed.success) {
    const reason = parsed.error.issues[0]?.message ?? 'invalid';
    throw new ApiError(400, 'invalid_path', `${name}: ${reason}`);
  }
  return parsed.data;
}

/** A string DynamoDB and JSON both keep as sent: well-formed UTF-16, bounded. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode');

/** An id in a path or a body: no whitespace or slash, at most 256 characters. */
/**
 * Names every JavaScript object already has (`constructor`, `__proto__`, `toString`…). As
 * ids or map keys they would read as inherited members, and DynamoDB's marshalling mistakes
 * a map with a `constructor` key for a class instance: refused at the door.
 */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));
export const notInherited = (s: string) => !INHERITED.has(s);
const NOT_INHERITED = 'is a name reserved by JavaScript objects';

/** An id in a path or a body: visible ASCII but "/", 1 to 256 characters. */
export const id = z
  .string()
  .regex(/^[\x21-\x2e\x30-\x7e]{1,256}$/, 'must be 1 to 256 visible ASCII characters without "/"')
  .refine(notInherited, NOT_INHERITED);

/** A key of a map in a body (resource names, environment variables). */
export const key = (schema: z.ZodString) => schema.refine(notInherited, NOT_INHERITED);

/** A custom resource's name (`gpu`, `fpga`), as Spark's `spark.*.resource.<name>` allow. */
export const resourceName = key(
  z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 _ . -'),
);

export const KiB = 1024;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
/** A JSON answer, or bytes (answered base64-encoded, with the headers set on `reqCtx.res`). */
type Handler = (reqCtx: RequestContext) => Promise<Response | ArrayBuffer>;

/**
 * A router that knows its paths: a known path asked with another method answers 405, and
 * refusals and failures map onto PROTOCOL.md's error body. Unexpected errors are ours: they
 * are logged and answer 500.
 */
export function jsonRouter(
  logger: Logger,
  /** How a refusal is written; Spark's REST routes answer with ErrorResponse instead. */
  refuse: (
    status: number,
    code: string,
    message: string,
    headers?: Record<string, string>,
  ) => Response = (status, code, message, headers) =>
    json(status, { error: code, message }, headers),
) {
  const router = new Router({ logger });
  const known: { method: Method; pattern: RegExp }[] = [];
  const on = (method: Method, path: `/${string}`, handler: Handler) => {
    router.route(handler, { method, path });
    known.push({ method, pattern: new RegExp(`^${path.replace(/:\w+/g, '[^/]+')}/?$`) });
  };
  router.errorHandler(ApiError, async (e) => refuse(e.status, e.code, e.message));
  // The router decodes path parameters itself: a bad escape or a blank one is the caller's.
  router.errorHandler([URIError, ParameterValidationError], async (e) =>
    refuse(400, 'invalid_path', `A path parameter is malformed: ${e.message}`),
  );
  router.errorHandler(Contention, async (e) =>
    refuse(503, 'busy', `${e.message}; retry`, { 'retry-after': '1' }),
  );
  router.notFound(async (_e, reqCtx) => {
    const path = new URL(reqCtx.req.url).pathname;
    const allowed = known.filter((k) => k.pattern.test(path)).map((k) => k.method);
    if (allowed.length > 0) {
      return refuse(405, 'method_not_allowed', `Use ${allowed.join(' or ')} on ${path}`, {
        allow: allowed.join(', '),
      });
    }
    return refuse(404, 'not_found', `No route ${reqCtx.req.method} ${path}`);
  });
  router.errorHandler(Error, async (e) => {
    logger.error('request failed', { error: e });
    return refuse(500, 'internal', 'Internal server error; see the function logs');
  });
  return { router, on };
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** A host the router can build a URL with, or a stand-in. */
function urlHost(domainName: string): string {
  try {
    return new URL(`https://${domainName}/`).host === domainName
      ? domainName
      : 'sparkplane.invalid';
  } catch {
    return 'sparkplane.invalid';
  }
}

const NULLABLE_FIELDS = [
  'pathParameters',
  'queryStringParameters',
  'stageVariables',
  'cookies',
  'body',
] as const;

/**
 * The Lambda handler for a router. What only an unusual client sends and the router's URL
 * building would trip over (a GET body, an odd Host, a target that is not a path) is
 * normalised first (so is a null where a field is absent); HEAD is answered as GET without the body, as servlets do.
 */
export function lambdaHandler(router: Router, metrics: MetricsSink) {
  return async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return await serve(event, context);
    } finally {
      // What the request counted leaves with it: a Lambda may freeze right after.
      metrics.flush();
    }
  };
  async function serve(
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const method = event.requestContext.http.method.toUpperCase();
    if (!METHODS.has(method)) {
      return {
        statusCode: 405,
        headers: { 'content-type': 'application/json', allow: [...METHODS].join(', ') },
        body: JSON.stringify({ error: 'method_not_allowed', message: `Unknown method ${method}` }),
      };
    }
    const headers = { ...event.headers };
    delete headers.host;
    delete headers['x-forwarded-proto'];
    const head = method === 'HEAD';
    const rawPath = event.rawPath.startsWith('/') ? event.rawPath : `/${event.rawPath}`;
    const safe: APIGatewayProxyEventV2 = {
      ...event,
      rawPath,
      headers,
      requestContext: {
        ...event.requestContext,
        domainName: urlHost(event.requestContext.domainName),
        http: { ...event.requestContext.http, method: head ? 'GET' : method },
      },
      ...(method === 'GET' || head ? { body: undefined } : {}),
    };
    // Absent is left out, not null, in API Gateway's events; an emulator's null would make
    // the router refuse the whole event.
    for (const field of NULLABLE_FIELDS) {
      if (safe[field] === null) delete safe[field];
    }
    const result = await router.resolve(safe, context);
    return head ? { ...result, body: '' } : result;
  }
}

type LambdaHttp = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const isAlb = (event: unknown): event is ALBEvent =>
  typeof event === 'object' &&
  event !== null &&
  'requestContext' in event &&
  typeof (event as ALBEvent).requestContext === 'object' &&
  'elb' in (event as ALBEvent).requestContext;

/**
 * The internal load balancer (the `spark://` URL for spark-submit: plain HTTP on 6066)
 * invokes the same function with its own event shape: it is read as API Gateway's.
 */
function fromAlb(event: ALBEvent): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values) headers[name.toLowerCase()] = values.join(',');
  }
  const query = new URLSearchParams(
    Object.entries(event.queryStringParameters ?? {}).map(([k, v]): [string, string] => [
      k,
      v ?? '',
    ]),
  ).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: event.path,
    rawQueryString: query,
    headers,
    ...(event.body ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded,
    requestContext: {
      accountId: '',
      apiId: 'alb',
      domainName: headers.host ?? 'sparkplane.invalid',
      domainPrefix: 'alb',
      http: {
        method: event.httpMethod,
        path: event.path,
        protocol: 'HTTP/1.1',
        sourceIp: headers['x-forwarded-for']?.split(',')[0]?.trim() ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: '',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
  };
}

function toAlb(result: APIGatewayProxyStructuredResultV2): ALBResult {
  const statusCode = result.statusCode ?? 200;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  return {
    statusCode,
    statusDescription: `${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trim(),
    headers,
    body: result.body ?? '',
    isBase64Encoded: result.isBase64Encoded ?? false,
  };
}

/** Who invoked the function: API Gateway or the internal load balancer. */
export type EventSource = 'api' | 'loadBalancer';

/**
 * A Lambda entry point built on its first invocation from each source (its configuration
 * is read then), for API Gateway's events and the load balancer's alike.
 */
export function lazy(build: (source: EventSource) => Promise<LambdaHttp>) {
  const built: Partial<Record<EventSource, Promise<LambdaHttp>>> = {};
  async function handler(
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2>;
  async function handler(event: ALBEvent, context: Context): Promise<ALBResult>;
  async function handler(event: APIGatewayProxyEventV2 | ALBEvent, context: Context) {
    const source: EventSource = isAlb(event) ? 'loadBalancer' : 'api';
    built[source] ??= build(source);
    const serve = await built[source];
    return isAlb(event) ? toAlb(await serve(fromAlb(event), context)) : serve(event, context);
  }
  return handler;
}
