// The submissions function behind the internal load balancer (spark-submit's plain HTTP on
// 6066): ALB events are served as API Gateway's, and answered in the ALB's shape.
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ALBEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AUTH_OFF } from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { lazy } from '../../../lib/api/http.js';
import { submissionsHandler } from '../../../lib/api/submissions.js';
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
});
