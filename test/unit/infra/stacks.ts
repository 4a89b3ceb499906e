// The stack as the template tests build it: bundling skipped (esbuild and the image are
// built by `cdk synth`/`deploy`), optionally with cdk-nag's AwsSolutions pack.
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_SETTINGS,
  type SparkplaneSettings,
  SparkplaneStack,
} from '../../../infra/stack.js';

export function synth(settings: SparkplaneSettings = DEFAULT_SETTINGS, nag = false) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new SparkplaneStack(app, 'Sparkplane', { settings });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, template: Template.fromStack(stack) };
}

/** The other variant: the load balancer, in an existing VPC with private subnets. */
export const WITH_LOAD_BALANCER: SparkplaneSettings = {
  ...DEFAULT_SETTINGS,
  loadBalancer: true,
  minWorkers: 1,
  maxWorkers: 20,
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    publicSubnets: false,
    cidr: '10.1.0.0/16',
  },
};
