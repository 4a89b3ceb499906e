// The submissions function behind the internal load balancer (spark-submit's plain HTTP on
// 6066): ALB events are served as API Gateway's, and answered in the ALB's shape.
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ALBEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AUTH_OFF } from '../../../lib/api/auth.js';
import { type ApiDeps, submissionsDepsFromEnv } from '../../../lib/api/deps.js';
import { lazy } from '../../../lib/api/http.js';
import { submissionsHandler } from '../../../lib/api/submissions.js';
import { prometheusSink } from '../../../lib/cloud/metrics.js';
import { masterConfig, workerConfig } from '../../../lib/core/config.js';
import { DEFAULT_DRIVER_TEMPLATES } from '../../../lib/core/driver-command.js';
import { openTable } from '../../../lib/store/table.js';

const deps: ApiDeps = {
  table: openTable('never-used', { region: 'us-east-1' }),
  sqs: new SQSClient({ region: 'us-east-1' }),
  nudge: async () => {},
  master: masterConfig(),
  worker: workerConfig(),
  auth: AUTH_OFF,
  placeholder: () => undefined,
  driverTemplates: DEFAULT_DRIVER_TEMPLATES,
  now: Date.now,
  logger: new Logger({ logLevel: 'ERROR' }),
  metrics: prometheusSink(),
};

const albEvent = (path: string, method = 'GET'): ALBEvent => ({
  requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:tg' } },
  httpMethod: method,
  path,
  queryStringParameters: {},
  headers: { host: '10.0.0.9:6066', 'x-forwarded-for': '127.0.0.1', 'user-agent': 'Java/17' },
  body: '',
  isBase64Encoded: false,
});

describe('behind the load balancer', () => {
  const handler = lazy(async () => submissionsHandler(deps));

  it("answers Spark's error servlet in the ALB's result shape", async () => {
    const result = await handler(albEvent('/v2/submissions/create', 'POST'), {} as Context);
    expect(result.statusCode).toBe(468);
    expect(result.statusDescription).toBe('468');
    expect(result.headers?.['content-type']).toBe('application/json;charset=utf-8');
    expect(JSON.parse(result.body ?? '')).toMatchObject({
      action: 'ErrorResponse',
      highestProtocolVersion: 'v1',
    });
  });

  it('reads the raw path and the method as API Gateway would pass them', async () => {
    const result = await handler(albEvent('/v1/submissions/kill'), {} as Context);
    expect(result.statusCode).toBe(405);
    expect(result.statusDescription).toBe('405 Method Not Allowed');
  });

  it('reads a null where an API Gateway event leaves a field out as absent (MiniStack sends it)', async () => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v2/submissions/create',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      pathParameters: null,
      queryStringParameters: null,
      stageVariables: null,
      body: null,
      requestContext: {
        domainName: 'api.example.com',
        http: { method: 'POST', path: '/v2/submissions/create', sourceIp: '127.0.0.1' },
      },
    } as unknown as APIGatewayProxyEventV2;
    const result = await handler(event, {} as Context);
    expect(result.statusCode).toBe(468);
  });
});

describe('load balancer auth', () => {
  const env = (lbAuth?: string): NodeJS.ProcessEnv => ({
    TABLE_NAME: 'never-used',
    NUDGE_QUEUE_URL: 'http://127.0.0.1:1/queue/nudges.fifo',
    AWS_REGION: 'us-east-1',
    SPARKPLANE_SUBMISSION_KEY: 'a'.repeat(43),
    SPARKPLANE_WORKER_KEY: 'b'.repeat(43),
    ...(lbAuth ? { SPARKPLANE_LOAD_BALANCER_AUTH: lbAuth } : {}),
  });
  const handlerWith = (e: NodeJS.ProcessEnv) =>
    lazy(async (source) => submissionsHandler(await submissionsDepsFromEnv(source, e)));
  // The error servlet answers /v2 without touching the table, once the filter lets it by.
  const apiEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v2/submissions/create',
    rawQueryString: '',
    headers: { host: 'api.example.com' },
    isBase64Encoded: false,
    requestContext: {
      domainName: 'api.example.com',
      http: { method: 'POST', path: '/v2/submissions/create', sourceIp: '10.0.0.5' },
    },
  } as unknown as APIGatewayProxyEventV2;

  it('keeps JWS on the load balancer by default', async () => {
    const result = await handlerWith(env())(
      albEvent('/v2/submissions/create', 'POST'),
      {} as Context,
    );
    expect(result.statusCode).toBe(403);
    expect(result.body).toContain('Authorization header is missing.');
  });

  it('with network trust, serves spark-submit through the load balancer without a token', async () => {
    const handler = handlerWith(env('network'));
    const viaLb = await handler(albEvent('/v2/submissions/create', 'POST'), {} as Context);
    expect(viaLb.statusCode).toBe(468);
    // The public API still demands the token.
    const viaApi = await handler(apiEvent, {} as Context);
    expect(viaApi.statusCode).toBe(403);
  });

  it('refuses an unknown load balancer auth mode at start', async () => {
    await expect(submissionsDepsFromEnv('loadBalancer', env('none'))).rejects.toThrow(
      'SPARKPLANE_LOAD_BALANCER_AUTH must be jws or network, not none',
    );
  });
});
