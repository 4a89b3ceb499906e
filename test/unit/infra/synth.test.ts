// `npm run synth` works offline (functions bundled by the local esbuild, the worker image
// staged, not built), and cfn-lint finds nothing in the templates of both setting variants.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { synth, WITH_LOAD_BALANCER } from './stacks.js';

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

  it('bundles every function into a module that loads (nothing left to resolve at run time)', async () => {
    const bundles = (await readdir(outdir)).filter((a) => a.startsWith('asset.'));
    let functions = 0;
    for (const dir of bundles) {
      if (!(await readdir(join(outdir, dir))).includes('index.mjs')) continue;
      const loaded = await import(pathToFileURL(join(outdir, dir, 'index.mjs')).href);
      expect(typeof loaded.handler).toBe('function');
      functions++;
    }
    expect(functions).toBe(9);
  }, 60_000);

  it('bundles the web UI with the submissions function, which serves it to browsers at /', async () => {
    const assets = await readdir(outdir);
    let bundle: string | undefined;
    for (const dir of assets.filter((a) => a.startsWith('asset.'))) {
      if ((await readdir(join(outdir, dir))).includes('ui.html')) bundle = join(outdir, dir);
    }
    expect(bundle).toBeDefined();
    vi.stubEnv('TABLE_NAME', 'never-read');
    vi.stubEnv('NUDGE_QUEUE_URL', 'http://127.0.0.1:1/queue/nudges.fifo');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('SPARKPLANE_SUBMISSION_KEY', 'a'.repeat(43));
    vi.stubEnv('SPARKPLANE_WORKER_KEY', 'b'.repeat(43));
    try {
      const { handler } = await import(pathToFileURL(join(bundle ?? '', 'index.mjs')).href);
      const get = (accept: string) =>
        handler(
          {
            version: '2.0',
            routeKey: '$default',
            rawPath: '/',
            rawQueryString: '',
            headers: { host: 'api.example.com', accept },
            isBase64Encoded: false,
            requestContext: {
              domainName: 'api.example.com',
              http: { method: 'GET', path: '/', sourceIp: '10.0.0.5' },
            },
          } as unknown as APIGatewayProxyEventV2,
          {} as Context,
        );
      const page = await get('text/html,application/xhtml+xml');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<main id="root"></main>');
      // Spark's REST clients still get its error servlet (behind the JWS filter: 403).
      const rest = await get('*/*');
      expect(rest.statusCode).toBe(403);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 60_000);

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
      const path = join(outdir, 'WithLoadBalancer.template.json');
      await writeFile(path, JSON.stringify(synth(WITH_LOAD_BALANCER).template.toJSON()));
      expect(await cfnLint(path)).toBe('');
    },
    120_000,
  );
});
