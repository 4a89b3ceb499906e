import { defineConfig } from 'vitest/config';

// Quiet logs: the functions log at INFO in AWS; the SDK warns about Node 20 on every client.
const env = {
  POWERTOOLS_LOG_LEVEL: 'WARN',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/emulators.setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/integration/emulators.setup.ts', 'test/e2e/spark.setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          env,
        },
      },
      {
        test: {
          name: 'deployed',
          include: ['test/deployed/**/*.test.ts'],
          globalSetup: ['test/e2e/spark.setup.ts', 'test/deployed/deploy.setup.ts'],
          testTimeout: 120_000,
          // MiniStack, cdk bootstrap and cdk deploy (bundling every function) before the tests.
          hookTimeout: 600_000,
          env,
        },
      },
    ],
  },
});
