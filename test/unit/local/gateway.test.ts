import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  type GatewayRoute,
  type HttpHandler,
  matchRoute,
  startGateway,
} from '../../../lib/local/gateway.js';

const noop: HttpHandler = async () => '';

function routes(...keys: string[]): GatewayRoute[] {
  return keys.map((routeKey) => ({ routeKey, handler: noop }));
}

/** Which route key wins for a request, or undefined for none. */
function winner(table: GatewayRoute[], method: string, path: string): string | undefined {
  return matchRoute(table, method, path)?.route.routeKey;
}

interface Seen {
  readonly event: APIGatewayProxyEventV2;
  readonly awsRequestId: string;
  readonly remainingMs: number;
}

/** Answers with what it was called with, so tests can look at the event over real HTTP. */
const echo: HttpHandler = async (event, context) => {
  const seen: Seen = {
    event,
    awsRequestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
  };
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(seen),
  };
};

async function seen(response: Response): Promise<Seen> {
  expect(response.status).toBe(200);
  return (await response.json()) as Seen;
}

interface RawResponse {
  readonly status: number;
  /** Header lines in order, names lower-cased, repeats kept. */
  readonly headers: [string, string][];
  readonly body: string;
}

/** One request written byte for byte (fetch would normalise paths and merge headers). */
function raw(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: lines.map((l) => {
          const colon = l.indexOf(':');
          return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()];
        }),
        body: text.slice(split + 4),
      });
    });
    socket.write(`${head.replaceAll('\n', '\r\n')}\r\nConnection: close\r\n\r\n${body}`);
  });
}

describe('matchRoute', () => {
  const table = routes(
    'GET /pets/dog/1',
    'GET /pets/dog/{id}',
    'GET /pets/{proxy+}',
    'ANY /{proxy+}',
    '$default',
  );

  it('follows the example in the API Gateway guide', () => {
    expect(winner(table, 'GET', '/pets/dog/1')).toBe('GET /pets/dog/1');
    expect(winner(table, 'GET', '/pets/dog/2')).toBe('GET /pets/dog/{id}');
    expect(winner(table, 'GET', '/pets/cat/1')).toBe('GET /pets/{proxy+}');
    expect(winner(table, 'POST', '/pets/dog/1')).toBe('ANY /{proxy+}');
    expect(winner(table, 'GET', '/')).toBe('$default');
  });

  it('prefers a route with the method over ANY for the same path', () => {
    const t = routes('ANY /v1/workers', 'POST /v1/workers', 'ANY /v1/workers/{id}');
    expect(winner(t, 'POST', '/v1/workers')).toBe('POST /v1/workers');
    expect(winner(t, 'GET', '/v1/workers')).toBe('ANY /v1/workers');
    expect(winner(t, 'DELETE', '/v1/workers/w1')).toBe('ANY /v1/workers/{id}');
    // A method route is not a fallback for another method.
    expect(winner(routes('GET /json'), 'HEAD', '/json')).toBeUndefined();
  });

  it('prefers static segments over {x} over {x+}, leftmost first', () => {
    const t = routes(
      'GET /json',
      'GET /json/{field}',
      'GET /json/clusterutilization',
      'GET /a/{x}/c',
      'GET /a/b/{y}',
      'ANY /a/{rest+}',
      'ANY /a/b/{rest+}',
    );
    expect(winner(t, 'GET', '/json')).toBe('GET /json');
    expect(winner(t, 'GET', '/json/clusterutilization')).toBe('GET /json/clusterutilization');
    expect(winner(t, 'GET', '/json/workers')).toBe('GET /json/{field}');
    expect(winner(t, 'GET', '/a/b/c')).toBe('GET /a/b/{y}');
    expect(winner(t, 'GET', '/a/z/c')).toBe('GET /a/{x}/c');
    expect(winner(t, 'GET', '/a/b/c/d')).toBe('ANY /a/b/{rest+}');
    expect(winner(t, 'GET', '/a/z/c/d')).toBe('ANY /a/{rest+}');
    // Path specificity comes before the method: ANY on a static path beats GET on a variable.
    expect(winner(routes('ANY /x/y', 'GET /x/{v}'), 'GET', '/x/y')).toBe('ANY /x/y');
  });

  it('matches {x} to exactly one segment and {x+} to one or more', () => {
    const t = routes('GET /v1/applications/{appId}', 'POST /v1/workers/{proxy+}');
    expect(winner(t, 'GET', '/v1/applications/app-1')).toBe('GET /v1/applications/{appId}');
    expect(winner(t, 'GET', '/v1/applications/app-1/x')).toBeUndefined();
    expect(winner(t, 'GET', '/v1/applications/')).toBeUndefined();
    expect(winner(t, 'GET', '/v1/applications')).toBeUndefined();
    expect(winner(t, 'POST', '/v1/workers')).toBeUndefined();
    expect(winner(t, 'POST', '/v1/workers/')).toBeUndefined();
    expect(
      matchRoute(t, 'POST', '/v1/workers/w-1/executors/app-1/3/state')?.pathParameters,
    ).toEqual({ proxy: 'w-1/executors/app-1/3/state' });
  });

  it('decodes path parameters on the raw path, keeping a bad escape as it came', () => {
    const t = routes('GET /json/{field}', 'GET /files/{path+}');
    expect(matchRoute(t, 'GET', '/json/a%20b')?.pathParameters).toEqual({ field: 'a b' });
    expect(matchRoute(t, 'GET', '/json/%E0%A4%A')?.pathParameters).toEqual({ field: '%E0%A4%A' });
    // An encoded slash stays inside its segment for matching, then decodes.
    expect(matchRoute(t, 'GET', '/json/a%2Fb')?.pathParameters).toEqual({ field: 'a/b' });
    expect(matchRoute(t, 'GET', '/files/x/%C3%A9')?.pathParameters).toEqual({ path: 'x/é' });
    expect(matchRoute(t, 'GET', '/json/x')?.pathParameters).toEqual({ field: 'x' });
  });

  it('falls back to $default, and matches nothing without it', () => {
    expect(winner(routes('GET /a', '$default'), 'PUT', '/nowhere')).toBe('$default');
    expect(winner(routes('GET /a'), 'GET', '/b')).toBeUndefined();
    expect(matchRoute(routes('$default'), 'GET', '/x')?.pathParameters).toEqual({});
  });

  it('refuses route keys API Gateway would refuse', () => {
    expect(() => matchRoute(routes('GET /a/{rest+}/b'), 'GET', '/')).toThrow(/last segment/);
    expect(() => matchRoute(routes('FETCH /a'), 'GET', '/')).toThrow(/Bad route key/);
    expect(() => matchRoute(routes('GET a'), 'GET', '/')).toThrow(/Bad route key/);
    expect(() => matchRoute(routes('GET /a{b}'), 'GET', '/')).toThrow(/whole segment/);
    expect(() => matchRoute(routes('GET /a/{x}', 'GET /a/{y}'), 'GET', '/')).toThrow(/conflict/);
    expect(() => matchRoute(routes('$default', '$default'), 'GET', '/')).toThrow(/twice/);
  });
});

describe('gateway over HTTP', () => {
  let gateway: Gateway;
  const logged: string[] = [];
  const binary = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80, 0x7f]);

  beforeAll(async () => {
    const respond =
      (result: unknown): HttpHandler =>
      async () =>
        result as APIGatewayProxyResultV2;
    gateway = await startGateway({
      log: (line) => logged.push(line),
      routes: [
        { routeKey: 'GET /echo', handler: echo },
        { routeKey: 'POST /echo', handler: echo },
        { routeKey: 'GET /json/{field}', handler: echo },
        { routeKey: 'ANY /v1/workers/{proxy+}', handler: echo },
        {
          routeKey: 'GET /structured',
          handler: respond({
            statusCode: 201,
            headers: { 'x-multi': 'a,b', 'x-number': 7, 'content-type': 'text/plain' },
            cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
            body: 'created',
          }),
        },
        { routeKey: 'GET /object', handler: respond({ id: 'app-1', cores: 4, tags: ['x'] }) },
        { routeKey: 'GET /string', handler: respond('plain words') },
        {
          routeKey: 'GET /binary',
          handler: respond({
            statusCode: 200,
            headers: { 'content-type': 'application/octet-stream' },
            body: binary.toString('base64'),
            isBase64Encoded: true,
          }),
        },
        { routeKey: 'GET /empty', handler: respond({ statusCode: 204 }) },
        {
          routeKey: 'GET /throws',
          handler: async () => {
            throw new Error('handler blew up');
          },
        },
        { routeKey: 'GET /bad-status', handler: respond({ statusCode: 'ok', body: 'x' }) },
        { routeKey: 'GET /bad-body', handler: respond({ statusCode: 200, body: { a: 1 } }) },
        { routeKey: 'GET /nothing', handler: respond(undefined) },
      ],
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  afterEach(() => {
    logged.length = 0;
  });

  it('listens on a free loopback port', () => {
    expect(gateway.port).toBeGreaterThan(0);
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
  });

  it('builds a payload 2.0 event with the route, request context and Lambda context', async () => {
    const before = Date.now();
    const response = await fetch(`${gateway.url}/echo`, { headers: { 'user-agent': 'tester/1' } });
    const { event, awsRequestId, remainingMs } = await seen(response);
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('GET /echo');
    expect(event.rawPath).toBe('/echo');
    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('body');
    expect(event.isBase64Encoded).toBe(false);
    const ctx = event.requestContext;
    expect(ctx).toMatchObject({
      accountId: 'local',
      apiId: 'local',
      domainName: `127.0.0.1:${gateway.port}`,
      domainPrefix: '127.0.0.1',
      routeKey: 'GET /echo',
      stage: '$default',
      http: {
        method: 'GET',
        path: '/echo',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'tester/1',
      },
    });
    expect(ctx.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(ctx.timeEpoch).toBeLessThanOrEqual(Date.now());
    expect(ctx.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(ctx.requestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    // One id ties the response header, the event and the Lambda context together.
    expect(response.headers.get('apigw-requestid')).toBe(ctx.requestId);
    expect(awsRequestId).toBe(ctx.requestId);
    expect(remainingMs).toBeGreaterThan(25_000);
    expect(remainingMs).toBeLessThanOrEqual(30_000);
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.headers['x-forwarded-proto']).toBe('http');
  });

  it('gives each request its own id', async () => {
    const [a, b] = await Promise.all([fetch(`${gateway.url}/echo`), fetch(`${gateway.url}/echo`)]);
    const idA = (await seen(a)).event.requestContext.requestId;
    const idB = (await seen(b)).event.requestContext.requestId;
    expect(idA).not.toBe(idB);
  });

  it('lower-cases header names, joins repeats with commas and moves cookies out', async () => {
    const response = await raw(
      gateway.port,
      [
        'GET /echo HTTP/1.1',
        'Host: api.example.test:8443',
        'X-Repeated: one',
        'x-repeated: two',
        'X-Mixed-Case: Value Kept',
        'Cookie: session=abc; theme=dark',
        'Cookie: lang=en',
        'X-Forwarded-For: 10.1.2.3',
      ].join('\n'),
    );
    expect(response.status).toBe(200);
    const { event } = JSON.parse(response.body) as Seen;
    expect(event.headers['x-repeated']).toBe('one,two');
    expect(event.headers['x-mixed-case']).toBe('Value Kept');
    expect(event.headers).not.toHaveProperty('X-Mixed-Case');
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.cookies).toEqual(['session=abc', 'theme=dark', 'lang=en']);
    expect(event.headers['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');
    expect(event.requestContext.domainName).toBe('api.example.test:8443');
    expect(event.requestContext.domainPrefix).toBe('api');
    expect(event.requestContext.http.userAgent).toBe('');
  });

  it('passes the raw query and decoded parameters, repeats joined with commas', async () => {
    const query = 'a=1&a=2&b=x%20y&c&d=p+q&e=%2B&f=%E0%A4%A';
    const { event } = await seen(await fetch(`${gateway.url}/echo?${query}`));
    expect(event.rawQueryString).toBe(query);
    expect(event.rawPath).toBe('/echo');
    expect(event.queryStringParameters).toEqual({
      a: '1,2',
      b: 'x y',
      c: '',
      d: 'p q',
      e: '+',
      f: '%E0%A4%A',
    });
  });

  it('passes path parameters decoded and the path as received', async () => {
    const response = await raw(gateway.port, 'GET /json/a%20b%2Fc HTTP/1.1\nHost: x');
    const { event } = JSON.parse(response.body) as Seen;
    expect(event.routeKey).toBe('GET /json/{field}');
    expect(event.rawPath).toBe('/json/a%20b%2Fc');
    expect(event.requestContext.http.path).toBe('/json/a%20b%2Fc');
    expect(event.pathParameters).toEqual({ field: 'a b/c' });

    const greedy = await seen(
      await fetch(`${gateway.url}/v1/workers/w-1/executors/app-1/3/state`, {
        method: 'POST',
        body: '{}',
      }),
    );
    expect(greedy.event.routeKey).toBe('ANY /v1/workers/{proxy+}');
    expect(greedy.event.requestContext.http.method).toBe('POST');
    expect(greedy.event.pathParameters).toEqual({ proxy: 'w-1/executors/app-1/3/state' });
  });

  it('passes text bodies as UTF-8 and everything else as base64', async () => {
    const post = async (body: RequestInit['body'], contentType?: string) =>
      (
        await seen(
          await fetch(`${gateway.url}/echo`, {
            method: 'POST',
            body,
            headers: contentType ? { 'content-type': contentType } : {},
          }),
        )
      ).event;

    const json = await post('{"cores":4,"name":"é"}', 'application/json; charset=utf-8');
    expect(json).toMatchObject({ body: '{"cores":4,"name":"é"}', isBase64Encoded: false });
    const vendorJson = await post('{"a":1}', 'application/vnd.spark+json');
    expect(vendorJson).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    const form = await post('a=1&b=2', 'application/x-www-form-urlencoded');
    expect(form).toMatchObject({ body: 'a=1&b=2', isBase64Encoded: false });
    const untyped = await post(new Uint8Array(Buffer.from('no type')));
    expect(untyped.headers).not.toHaveProperty('content-type');
    expect(untyped).toMatchObject({ body: 'no type', isBase64Encoded: false });

    const octets = await post(new Uint8Array(binary), 'application/octet-stream');
    expect(octets.isBase64Encoded).toBe(true);
    expect(Buffer.from(octets.body ?? '', 'base64')).toEqual(binary);
    // Text in name only: bytes that are not UTF-8 still go base64 rather than get mangled.
    const notUtf8 = await post(new Uint8Array(binary), 'text/plain');
    expect(notUtf8.isBase64Encoded).toBe(true);
    expect(Buffer.from(notUtf8.body ?? '', 'base64')).toEqual(binary);
  });

  it('sends a structured result with its status, headers and cookies', async () => {
    const response = await fetch(`${gateway.url}/structured`);
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('created');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-number')).toBe('7');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    // Seen on the wire: one header line for a comma-joined value, one per cookie.
    const wire = await raw(gateway.port, 'GET /structured HTTP/1.1\nHost: x');
    expect(wire.headers.filter(([n]) => n === 'x-multi')).toEqual([['x-multi', 'a,b']]);
    expect(wire.headers.filter(([n]) => n === 'set-cookie')).toHaveLength(2);
  });

  it('sends a result without statusCode as 200 JSON', async () => {
    const object = await fetch(`${gateway.url}/object`);
    expect(object.status).toBe(200);
    expect(object.headers.get('content-type')).toBe('application/json');
    expect(await object.text()).toBe('{"id":"app-1","cores":4,"tags":["x"]}');

    const string = await fetch(`${gateway.url}/string`);
    expect(string.status).toBe(200);
    expect(string.headers.get('content-type')).toBe('application/json');
    expect(await string.text()).toBe('plain words');
  });

  it('decodes a base64 result body', async () => {
    const response = await fetch(`${gateway.url}/binary`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(binary);
  });

  it('sends a 204 without a body', async () => {
    const response = await fetch(`${gateway.url}/empty`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('answers 500 and logs when a handler throws or returns something unusable', async () => {
    for (const path of ['/throws', '/bad-status', '/bad-body', '/nothing']) {
      const response = await fetch(`${gateway.url}${path}`);
      expect(response.status, path).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
      const id = response.headers.get('apigw-requestid');
      expect(id).toBeTruthy();
      expect(logged.some((l) => l.includes(path) && l.includes(id ?? '?'))).toBe(true);
    }
    expect(logged.some((l) => l.includes('handler blew up'))).toBe(true);
    expect(logged.some((l) => l.includes('statusCode must be an integer'))).toBe(true);
    expect(logged.some((l) => l.includes('body must be a string'))).toBe(true);
    expect(logged.some((l) => l.includes('returned nothing'))).toBe(true);
  });

  it('answers 404 Not Found when no route matches and there is no $default', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['DELETE', '/echo'],
      ['GET', '/json'],
    ] as const) {
      const response = await fetch(`${gateway.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.json()).toEqual({ message: 'Not Found' });
      expect(response.headers.get('apigw-requestid')).toBeTruthy();
    }
  });
});

describe('gateway $default', () => {
  it('sends every unmatched request to $default with the full path', async () => {
    const gateway = await startGateway({
      routes: [
        { routeKey: '$default', handler: echo },
        { routeKey: 'GET /known', handler: async () => 'known' },
      ],
    });
    try {
      expect(await (await fetch(`${gateway.url}/known`)).text()).toBe('known');
      const { event } = await seen(
        await fetch(`${gateway.url}/store/checkout?x=1`, { method: 'PUT' }),
      );
      expect(event.routeKey).toBe('$default');
      expect(event.requestContext.routeKey).toBe('$default');
      expect(event.rawPath).toBe('/store/checkout');
      expect(event).not.toHaveProperty('pathParameters');
    } finally {
      await gateway.close();
    }
  });
});

describe('gateway body limit', () => {
  let gateway: Gateway;
  let calls = 0;

  beforeAll(async () => {
    gateway = await startGateway({
      maxBodyBytes: 1024,
      routes: [
        {
          routeKey: 'POST /upload',
          handler: async (event) => {
            calls++;
            return { statusCode: 200, body: String(event.body?.length ?? 0) };
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('accepts a body of exactly the limit', async () => {
    const response = await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      body: 'x'.repeat(1024),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('1024');
  });

  it('refuses a declared oversized body with 413 without calling the handler', async () => {
    const before = calls;
    const response = await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      body: new Uint8Array(4 * 1024 * 1024),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    expect(calls).toBe(before);
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const before = calls;
    let produced = 0;
    // Far more than the socket buffers hold: the client must be answered before it is done.
    const total = 256 * 1024 * 1024;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) return controller.close();
        produced += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const response = await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(produced).toBeLessThan(total);
    expect(calls).toBe(before);
  });

  it('hangs up after a 413 instead of reading the rest of an endless body', async () => {
    const before = calls;
    const { text, closedByServer } = await new Promise<{ text: string; closedByServer: boolean }>(
      (resolve, reject) => {
        const socket = connect(gateway.port, '127.0.0.1');
        let text = '';
        socket.on('data', (c: Buffer) => {
          text += c.toString();
        });
        socket.on('error', reject);
        // Never sends the last chunk: only the gateway hanging up ends this.
        socket.on('end', () => resolve({ text, closedByServer: true }));
        const chunk = 'x'.repeat(2000);
        socket.write(
          `POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`,
        );
      },
    );
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('{"message":"Request Entity Too Large"}');
    expect(closedByServer).toBe(true);
    expect(calls).toBe(before);
  });

  it('drops a request whose client hangs up mid-body and keeps serving', async () => {
    const before = calls;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(gateway.port, '127.0.0.1', () => {
        socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nonly part');
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const response = await fetch(`${gateway.url}/upload`, { method: 'POST', body: 'ok' });
    expect(await response.text()).toBe('2');
    expect(calls).toBe(before + 1);
  });

  it('refuses an oversized body before 100-continue', async () => {
    const before = calls;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${gateway.url}/upload`, {
        method: 'POST',
        headers: { expect: '100-continue', 'content-length': 5000 },
      });
      req.on('continue', () => reject(new Error('the gateway asked for the oversized body')));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(413);
    expect(calls).toBe(before);
  });

  it('sends 100-continue and takes the body when it fits', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${gateway.url}/upload`, {
        method: 'POST',
        headers: { expect: '100-continue', 'content-length': 10 },
      });
      req.on('continue', () => req.end('0123456789'));
      req.on('response', (res) => {
        let data = '';
        res.on('data', (c: Buffer) => {
          data += c.toString();
        });
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(text).toBe('10');
  });
});

describe('gateway close', () => {
  it('closes keep-alive connections instead of waiting for them to time out', async () => {
    const gateway = await startGateway({ routes: [{ routeKey: 'GET /', handler: echo }] });
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const req = request(`${gateway.url}/`, { agent }, (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers.connection).toBe('keep-alive');
          res.resume();
          res.on('end', () => (req.socket ? resolve(req.socket) : reject(new Error('no socket'))));
        });
        req.on('error', reject);
        req.end();
      });
      const socketClosed = new Promise<void>((r) => socket.once('close', () => r()));
      // The socket stays open for reuse; close() must end it, not wait for it to time out.
      expect(socket.destroyed).toBe(false);
      await gateway.close();
      await socketClosed;
      await expect(fetch(`${gateway.url}/`)).rejects.toThrow();
      // close() is idempotent.
      await gateway.close();
    } finally {
      agent.destroy();
    }
  });

  it('lets an in-flight request finish, then closes its connection', async () => {
    let release = () => {};
    let entered = () => {};
    const inHandler = new Promise<void>((r) => {
      entered = r;
    });
    const gateway = await startGateway({
      routes: [
        {
          routeKey: 'GET /slow',
          handler: async (_event: APIGatewayProxyEventV2, context: Context) => {
            entered();
            await new Promise<void>((r) => {
              release = r;
            });
            return { done: context.awsRequestId.length > 0 } as APIGatewayProxyResultV2;
          },
        },
      ],
    });
    const pending = fetch(`${gateway.url}/slow`);
    await inHandler;
    const closing = gateway.close();
    release();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ done: true });
    await closing;
  });
});

describe('gateway with auth off (loopbackOnly)', () => {
  let gateway: Gateway;
  let calls = 0;
  beforeAll(async () => {
    gateway = await startGateway({
      loopbackOnly: true,
      routes: [
        {
          routeKey: '$default',
          handler: async () => {
            calls++;
            return 'served';
          },
        },
      ],
    });
  });
  afterAll(() => gateway.close());

  /** A request with the Host and Origin headers a browser (or an attacker's page) sends. */
  const send = (method: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port: gateway.port,
          path: '/v1/submissions/create',
          method,
          headers,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', reject);
      r.end(method === 'GET' ? undefined : '{}');
    });

  it('serves loopback host names; refuses any other Host (DNS rebinding) without calling a handler', async () => {
    const before = calls;
    for (const host of [
      `127.0.0.1:${gateway.port}`,
      `localhost:${gateway.port}`,
      `[::1]:${gateway.port}`,
    ]) {
      expect(await send('POST', { host })).toBe(200);
    }
    expect(calls).toBe(before + 3);
    for (const host of [
      'attacker.example',
      `rebound.attacker.example:${gateway.port}`,
      '10.0.0.1',
    ]) {
      expect(await send('POST', { host })).toBe(403);
    }
    expect(calls).toBe(before + 3);
  });

  it('refuses a state-changing request from another origin; its own origin and plain clients pass', async () => {
    const host = `127.0.0.1:${gateway.port}`;
    const before = calls;
    expect(await send('POST', { host, origin: 'https://attacker.example' })).toBe(403);
    expect(await send('POST', { host, origin: 'null' })).toBe(403);
    expect(await send('POST', { host, origin: 'http://127.0.0.1:1' })).toBe(403);
    expect(calls).toBe(before);
    expect(await send('POST', { host, origin: `http://127.0.0.1:${gateway.port}` })).toBe(200);
    expect(await send('POST', { host, origin: `http://localhost:${gateway.port}` })).toBe(200);
    expect(await send('GET', { host, origin: 'https://attacker.example' })).toBe(200);
    expect(await send('POST', { host })).toBe(200);
  });
});
