// `cdk synth` / `cdk deploy` entry point. Environment-agnostic: no account lookups.
import { App } from 'aws-cdk-lib';
import { SparkplaneStack } from './stack.js';

const app = new App();
new SparkplaneStack(app, 'Sparkplane');
