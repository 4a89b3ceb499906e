// Vitest global setup of the deployed tests: MiniStack on a free loopback port, and the real
// app (infra/app.ts) bootstrapped and deployed to it by the real CDK CLI.
import type { TestProject } from 'vitest/node';
import {
  type DeployedStack,
  deployToMinistack,
  reachableApiUrl,
  startMinistack,
} from '../../lib/local/ministack.js';

/** What the stack is deployed with: a short worker timeout and externally run workers. */
export const DEPLOYED_WORKER_TIMEOUT_SEC = 10;

declare module 'vitest' {
  export interface ProvidedContext {
    ministackEndpoint: string;
    deployed: DeployedStack;
    /** The deployed API's base URL as reachable here. */
    apiUrl: string;
    /** The seconds the deploy took (bootstrap included), for the report. */
    deploySeconds: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK warns of Node 20 on every client; the tests' own env is not set here yet.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const ministack = await startMinistack();
  try {
    const started = Date.now();
    const deployed = await deployToMinistack(ministack.endpoint, {
      context: {
        // The pool never starts Fargate tasks: the tests' workers are local agents.
        minWorkers: '0',
        maxWorkers: '0',
        sparkMasterOpts: `-Dspark.worker.timeout=${DEPLOYED_WORKER_TIMEOUT_SEC}`,
      },
    });
    project.provide('ministackEndpoint', ministack.endpoint);
    project.provide('deployed', deployed);
    project.provide('apiUrl', reachableApiUrl(deployed.ApiUrl, ministack.endpoint));
    project.provide('deploySeconds', Math.round((Date.now() - started) / 1000));
  } catch (e) {
    await ministack.stop();
    throw new Error(`${(e as Error).message}\n--- MiniStack's output:\n${ministack.tail()}`);
  }
  return () => ministack.stop();
}
