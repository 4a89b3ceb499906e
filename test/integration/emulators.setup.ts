// Vitest global setup: the integration tests run against real DynamoDB and SQS
// implementations. With AWS_ENDPOINT_URL set (LocalStack, a real account) nothing starts.
import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../lib/local/emulators.js';
import { parserPython } from '../harness/prometheus.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sqsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Prometheus' own parser reads the metrics route: installed before any test's timeout runs.
  parserPython();
  const external = process.env.AWS_ENDPOINT_URL;
  if (external) {
    project.provide('dynamodbEndpoint', external);
    project.provide('sqsEndpoint', external);
    return async () => {};
  }
  const emulators = await startEmulators();
  project.provide('dynamodbEndpoint', emulators.dynamodbEndpoint);
  project.provide('sqsEndpoint', emulators.sqsEndpoint);
  return () => emulators.stop();
}
