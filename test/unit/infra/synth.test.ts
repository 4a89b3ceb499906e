// `npm run synth` works offline (functions bundled by the local esbuild, the worker image
// staged, not built), and cfn-lint finds nothing in the templates of both setting variants.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SparkplaneStack } from '../../../infra/stack.js';

const run = promisify(execFile);
/** Set by `.ci/run` only when cfn-lint could not be installed (PyPI unreachable). */
const cfnLintMissing = process.env.SPARKPLANE_CFN_LINT_MISSING === 'true';

/** W3005 (redundant DependsOn) is how CDK writes its own dependencies; not ours to fix. */
async function cfnLint(templatePath: string) {
  try {
    await run('cfn-lint', ['-i', 'W3005', '--', templatePath]);
    return '';
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: unknown };
    if (code === 'ENOENT') throw new Error('cfn-lint is not installed (pip install cfn-lint)');
    return `${stdout ?? ''}${stderr ?? ''}`;
  }
}

describe('npm run synth and cfn-lint', () => {
  let outdir: string;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'sparkplane-synth-'));
  });
  afterAll(() => rm(outdir, { recursive: true, force: true }));

  const synthesized = () => join(outdir, 'Sparkplane.template.json');

  it('synthesizes the bundled template offline', async () => {
    await run('npm', ['run', 'synth', '--', '-o', outdir], {
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    const template = JSON.parse(await readFile(synthesized(), 'utf8'));
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50);
  }, 240_000);

  it.skipIf(cfnLintMissing)(
    'cfn-lint passes the synthesized template',
    async () => {
      expect(await cfnLint(synthesized())).toBe('');
    },
    120_000,
  );

  it.skipIf(cfnLintMissing)(
    'cfn-lint passes the template with the load balancer in an existing VPC',
    async () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new SparkplaneStack(app, 'Sparkplane', {
        settings: {
          ...DEFAULT_SETTINGS,
          loadBalancer: true,
          minWorkers: 1,
          vpc: {
            vpcId: 'vpc-0123456789abcdef0',
            availabilityZones: ['eu-west-1a', 'eu-west-1b'],
            subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
            publicSubnets: false,
            cidr: '10.1.0.0/16',
          },
        },
      });
      const path = join(outdir, 'WithLoadBalancer.template.json');
      await writeFile(path, JSON.stringify(Template.fromStack(stack).toJSON()));
      expect(await cfnLint(path)).toBe('');
    },
    120_000,
  );
});
