// The real stack, deployed to MiniStack (PyPI `ministack`, MIT): a local AWS emulator that
// runs on the host without Docker, deploys CloudFormation through the real CDK CLI, runs the
// Node.js functions as local processes, serves the HTTP API, feeds SQS to functions through
// event source mappings and fires EventBridge schedules. Used by `npm run test:deployed` and
// `npm run start:deployed`.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sharingFate } from '../worker/fate.js';
import { freePort } from './emulators.js';
import { installedVenv } from './spark.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const MINISTACK_REQUIREMENT = 'ministack==1.5.33';

/**
 * What this MiniStack cannot deploy, left out of the template by the app's test-only
 * `testOnlyOmit` context (infra/app.ts): three resource types it does not know, and the one
 * alarm on a metric-math expression, which it refuses.
 */
export const MINISTACK_OMITS = [
  'AWS::EC2::FlowLog',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::Events::Archive',
  'DriverFailures',
] as const;

/** The account MiniStack answers as with non-numeric keys, and its default region. */
export const MINISTACK_ACCOUNT = '000000000000';
export const MINISTACK_REGION = 'us-east-1';

/** The environment the CDK CLI, the SDK and the worker agents use to reach MiniStack. */
export function ministackEnv(endpoint: string): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: MINISTACK_REGION,
    AWS_DEFAULT_REGION: MINISTACK_REGION,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

export interface Ministack {
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** The last of its output, for a failure's message. */
  tail(): string;
  stop(): Promise<void>;
}

/** The pinned MiniStack in a virtual environment under .spark/, installed when missing. */
export function ministackCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = join(root, '.spark', MINISTACK_REQUIREMENT.replace('==', '-'));
  installedVenv(dir, MINISTACK_REQUIREMENT, env);
  // Its Python, not its bin/ script: that names the folder it was installed in, then renamed.
  return [join(dir, 'bin', 'python'), '-m', 'ministack'];
}

/** MiniStack on a free port of 127.0.0.1, its state in memory; dies with this process. */
export async function startMinistack(timeoutMs = 60_000): Promise<Ministack> {
  const port = await freePort();
  const [fated, ...args] = sharingFate(ministackCommand());
  const child = spawn(fated as string, args, {
    cwd: mkdtempSync(join(tmpdir(), 'sparkplane-ministack-')),
    env: {
      ...process.env,
      GATEWAY_PORT: String(port),
      BIND_HOST: '127.0.0.1',
      // The host it writes into the URLs it hands out (queues, the API).
      MINISTACK_HOST: '127.0.0.1',
      MINISTACK_REGION,
      LOG_LEVEL: 'WARNING',
      // The functions it runs log as they do in Lambda; the SDK would warn of Node 20.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`MiniStack exited early:\n${output}`);
    const healthy = await fetch(`${endpoint}/_ministack/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`MiniStack did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { endpoint, process: child, tail: () => output, stop };
}

/** Runs the repository's CDK CLI; its output is kept for the error when it fails. */
export function cdk(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'cdk'), ['--no-notices', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`cdk ${args[0]} exited ${code}:\n${output.slice(-6000)}`)),
    );
  });
}

export interface DeployedStack {
  readonly ApiUrl: string;
  readonly SubmissionKeySecret: string;
  readonly WorkerKeySecret: string;
  readonly EventBusName: string;
  readonly EventsQueueUrl: string;
}

export interface DeployOptions {
  /** More `-c key=value` context (the stack's settings). */
  readonly context?: Readonly<Record<string, string>>;
}

/** `cdk bootstrap` and `cdk deploy` of infra/app.ts against MiniStack; the stack's outputs. */
export async function deployToMinistack(
  endpoint: string,
  options: DeployOptions = {},
): Promise<DeployedStack> {
  const env = ministackEnv(endpoint);
  await cdk(['bootstrap', `aws://${MINISTACK_ACCOUNT}/${MINISTACK_REGION}`], env);
  const outputs = join(mkdtempSync(join(tmpdir(), 'sparkplane-deploy-')), 'outputs.json');
  const context = {
    // No Docker engine to build the worker image; no Fargate task runs here anyway.
    workerImage: 'public.ecr.aws/sparkplane/worker:local',
    testOnlyOmit: MINISTACK_OMITS.join(','),
    ...options.context,
  };
  await cdk(
    [
      'deploy',
      '--require-approval',
      'never',
      '--outputs-file',
      outputs,
      ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    env,
  );
  const stack = (JSON.parse(readFileSync(outputs, 'utf8')) as Record<string, DeployedStack>)
    .Sparkplane;
  if (!stack) throw new Error(`cdk deploy wrote no outputs for Sparkplane to ${outputs}`);
  // MiniStack ignores GenerateSecretString's ExcludePunctuation, and a key must be base64url:
  // set both keys as an operator rotating them by hand would.
  const secrets = new SecretsManagerClient({
    endpoint,
    region: MINISTACK_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for (const secret of [stack.SubmissionKeySecret, stack.WorkerKeySecret]) {
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: secret,
        SecretString: randomBytes(48).toString('base64url'),
      }),
    );
  }
  secrets.destroy();
  return stack;
}

/**
 * The API's base URL as a client here reaches it. MiniStack names an API
 * `http://<id>.execute-api.127.0.0.1:<port>`, which no resolver here answers; it serves the
 * same API under `/_aws/execute-api/<id>` of its own address.
 */
export function reachableApiUrl(apiUrl: string, endpoint: string): string {
  const id = /^https?:\/\/([a-z0-9]+)\.execute-api\./.exec(apiUrl)?.[1];
  if (!id) return apiUrl.replace(/\/+$/, '');
  return `${endpoint}/_aws/execute-api/${id}`;
}
