// `npm run start:deployed`: the real stack, deployed by `cdk deploy` to MiniStack on this
// machine (lib/local/ministack.ts), with local worker agents registered against the
// deployed API as workers outside the stack would be. Ctrl-C stops it all; MiniStack keeps
// its state in memory, so every start is a fresh deploy.
//
//   npm run start:deployed -- [--workers 2] [--cores 4] [--memory 2g]
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { decodeKeys, mintToken } from '../api/auth.js';
import {
  deployToMinistack,
  MINISTACK_REGION,
  reachableApiUrl,
  startMinistack,
} from './ministack.js';
import { sparkEnvironment } from './spark.js';
import { LocalLauncher, tempWorkDirs } from './workers.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    cores: { type: 'string', default: String(Math.max(4, availableParallelism())) },
    memory: { type: 'string', default: '2g' },
  },
});

const started = Date.now();
process.stdout.write('Starting MiniStack and deploying the stack (cdk bootstrap, cdk deploy)…\n');
const ministack = await startMinistack();
let launcher: LocalLauncher | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await launcher?.stopAll(10_000);
  await ministack.stop();
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));

try {
  const deployed = await deployToMinistack(ministack.endpoint, {
    // The workers are these local agents: the pool never starts a Fargate task.
    context: { minWorkers: '0', maxWorkers: '0' },
  });
  const url = reachableApiUrl(deployed.ApiUrl, ministack.endpoint);
  const secrets = new SecretsManagerClient({
    endpoint: ministack.endpoint,
    region: MINISTACK_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const keyOf = async (id: string) =>
    String((await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString);
  const [submissionKey] = decodeKeys(
    'SubmissionKeySecret',
    await keyOf(deployed.SubmissionKeySecret),
  );
  const token = await mintToken(submissionKey as Uint8Array, {}, 12 * 3600);
  const workDirs = tempWorkDirs('sparkplane-deployed-');
  launcher = new LocalLauncher({
    masterUrl: url,
    cores: Number(values.cores),
    memory: values.memory,
    workDirs,
    firstPort: 7078,
    logDir: workDirs,
    workerKey: await keyOf(deployed.WorkerKeySecret),
    env: { ...process.env, ...sparkEnvironment() },
  });
  secrets.destroy();
  const workers = Number(values.workers);
  await launcher.launch(workers, 'start-deployed');
  for (;;) {
    const answer = await fetch(`${url}/json/aliveworkers`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
    const alive = answer?.ok
      ? Number(((await answer.json()) as { aliveworkers: number }).aliveworkers)
      : 0;
    if (alive >= workers) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write(
    [
      `Deployed to MiniStack at ${ministack.endpoint} in ${Math.round((Date.now() - started) / 1000)} s; ${workers} worker(s) registered (logs in ${join(workDirs)}).`,
      `The stack's ApiUrl is ${deployed.ApiUrl}; here it is reached as:`,
      `  export SPARKPLANE_URL=${url}`,
      `  export SPARKPLANE_TOKEN=${token}`,
      'Ctrl-C stops the workers and MiniStack.',
      '',
    ].join('\n'),
  );
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  await stop(1);
}
