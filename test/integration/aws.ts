// AWS clients for integration tests, pointed at the endpoints the global setup provides.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { LOCAL_AWS } from '../../lib/local/emulators.js';

const external = Boolean(process.env.AWS_ENDPOINT_URL);
// Against a real endpoint the SDK's own credential chain and region apply.
const local = external ? {} : LOCAL_AWS;

/** Client settings for the DynamoDB endpoint under test. */
export const localClientConfig = () => ({ ...local, endpoint: inject('dynamodbEndpoint') });

export const dynamoClient = (): DynamoDBClient => new DynamoDBClient(localClientConfig());

/** fauxqs names queues `sqs.<region>.localhost`, which does not resolve: pin the endpoint. */
export const sqsClient = (): SQSClient =>
  new SQSClient({ ...local, endpoint: inject('sqsEndpoint') });

/** A name no other test uses, for tables and queues. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
