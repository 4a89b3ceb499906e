// `cdk synth` / `cdk deploy` entry point. Environment-agnostic: no account lookups.
import { App } from 'aws-cdk-lib';
import { omitFromTemplate, SparkplaneStack } from './stack.js';

const app = new App();
const stack = new SparkplaneStack(app, 'Sparkplane');
// Test only (`npm run test:deployed`): what a local emulator cannot deploy. Never for AWS.
omitFromTemplate(
  stack,
  String(app.node.tryGetContext('testOnlyOmit') ?? '')
    .split(',')
    .filter(Boolean),
);
