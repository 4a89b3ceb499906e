// The deployed stack, black box: the real app deployed by `cdk deploy` to MiniStack
// (deploy.setup.ts), reached only through its outputs. API Gateway routes to the real
// bundles, the functions read their keys from Secrets Manager, the scheduler is fed by the
// deployed queue's event source mapping and cleanup by the deployed schedule.
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListQueuesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { decodeKeys, mintToken } from '../../lib/api/auth.js';
import { cdk, ministackEnv } from '../../lib/local/ministack.js';
import { sparkEnvironment, sparkHome, sparkPython } from '../../lib/local/spark.js';
import { LocalLauncher, tempWorkDirs } from '../../lib/local/workers.js';
import { othersCanRun } from '../../lib/worker/isolation.js';
import { example, until } from '../e2e/cluster.js';
import { createRequest, SMALL_SPARK } from '../harness/spark-submit.js';
import { DEPLOYED_WORKER_TIMEOUT_SEC } from './deploy.setup.js';

type Json = Record<string, unknown>;
const ENDED = new Set(['FINISHED', 'FAILED', 'KILLED', 'ERROR']);

const endpoint = inject('ministackEndpoint');
const deployed = inject('deployed');
const api = inject('apiUrl');
const aws = {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};
const secrets = new SecretsManagerClient(aws);
const keyOf = async (secret: string) => {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secret }));
  return String(SecretString);
};

let token = '';
const call = async (path: string, init: RequestInit = {}, bearer: string | undefined = token) => {
  const r = await fetch(`${api}${path}`, {
    ...init,
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
  });
  const text = await r.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = { text };
  }
  return { status: r.status, body };
};
const get = async (path: string) => (await call(path)).body;
const post = async (path: string, body: unknown) =>
  (await call(path, { method: 'POST', body: JSON.stringify(body) })).body;

const launchers: LocalLauncher[] = [];
afterAll(async () => {
  await Promise.all(launchers.map((l) => l.stopAll(5_000)));
  secrets.destroy();
});

/** A driver's states until it ends, through the status route. */
async function ended(id: string, timeoutMs = 240_000): Promise<Json> {
  return until(
    `driver ${id} to end`,
    async () => {
      const s = await get(`/v1/submissions/status/${id}`);
      return ENDED.has(String(s.driverState)) ? s : undefined;
    },
    timeoutMs,
  );
}

describe.sequential('the stack deployed by cdk deploy', () => {
  it('has outputs a user can use: an API URL and the key secrets', () => {
    expect(deployed.ApiUrl).toMatch(/^https?:\/\//);
    expect(deployed.SubmissionKeySecret).not.toBe('');
    expect(deployed.WorkerKeySecret).not.toBe(deployed.SubmissionKeySecret);
    expect(deployed.EventBusName).not.toBe('');
  });

  it('refuses calls without a token or with a wrong one, and takes one minted from the deployed key', async () => {
    const status = '/v1/submissions/status/driver-20260101000000-0000';
    // Spark's JWSFilter answers 403 on its REST routes; the cluster routes 401.
    const none = await call(status, {}, undefined);
    expect(none.status).toBe(403);
    const wrong = await call(status, {}, await mintToken(new Uint8Array(32).fill(7)));
    expect(wrong.status).toBe(403);
    expect((await call('/json', {}, undefined)).status).toBe(401);

    const [key] = decodeKeys('SubmissionKeySecret', await keyOf(deployed.SubmissionKeySecret));
    token = await mintToken(key as Uint8Array, {}, 3600);
    const accepted = await call(status);
    expect(accepted.body).toMatchObject({
      action: 'SubmissionStatusResponse',
      success: false,
      submissionId: 'driver-20260101000000-0000',
    });
  });

  it('two worker agents register with the deployed worker key and heartbeat', async () => {
    const workerKey = await keyOf(deployed.WorkerKeySecret);
    const runAs = othersCanRun(sparkPython) ? undefined : '';
    const workDirs = tempWorkDirs('sparkplane-deployed-');
    const firstPort = 20_000 + Math.floor(Math.random() * 20_000);
    for (let i = 0; i < 2; i++) {
      const launcher = new LocalLauncher({
        masterUrl: api,
        cores: 2,
        memory: '3g',
        workDirs: join(workDirs, String(i + 1)),
        firstPort: firstPort + i,
        logDir: workDirs,
        workerKey,
        env: {
          ...process.env,
          ...sparkEnvironment(),
          POWERTOOLS_LOG_LEVEL: 'WARN',
          ...(runAs === undefined ? {} : { SPARKPLANE_RUN_AS: runAs }),
        },
      });
      launchers.push(launcher);
      await launcher.launch(1, 'deployed');
    }
    const workers = await until(
      'both workers ALIVE',
      async () => {
        const view = await get('/json');
        const alive = (view.workers as Json[] | undefined)?.filter((w) => w.state === 'ALIVE');
        return alive?.length === 2 ? alive : undefined;
      },
      90_000,
    );
    const beats = workers.map((w) => Number(w.lastheartbeat));
    await until(
      'a heartbeat from each',
      async () => {
        const now = ((await get('/json')).workers as Json[]).filter((w) => w.state === 'ALIVE');
        return now.every((w, i) => Number(w.lastheartbeat) > (beats[i] ?? 0)) ? true : undefined;
      },
      60_000,
    );
  });

  it("Spark's docs create request runs pi.py to FINISHED through the deployed scheduler", async () => {
    const created = await post('/v1/submissions/create', {
      action: 'CreateSubmissionRequest',
      appResource: '',
      mainClass: 'org.apache.spark.deploy.SparkSubmit',
      appArgs: [join(sparkHome(), 'examples/src/main/python/pi.py'), '4'],
      clientSparkVersion: '4.1.1',
      sparkProperties: {
        // Spark's docs request, small enough for this machine.
        'spark.master': 'spark://master:7077',
        'spark.app.name': 'Spark Pi',
        'spark.driver.cores': '1',
        'spark.jars': '',
        ...SMALL_SPARK,
        'spark.cores.max': '2',
        'spark.executor.cores': '1',
      },
      environmentVariables: {},
    });
    expect(created).toMatchObject({ action: 'CreateSubmissionResponse', success: true });
    const id = String(created.submissionId);
    const last = await ended(id);
    expect(last.driverState, JSON.stringify(last)).toBe('FINISHED');
    const stdout = await call(`/v1/drivers/${id}/logs/stdout`);
    expect(stdout.status).toBe(200);
    expect(String(stdout.body.text)).toMatch(/Pi is roughly 3\.1/);
  }, 300_000);

  it('the π example runs to FINISHED on executors the deployed scheduler placed', async () => {
    const created = await post(
      '/v1/submissions/create',
      createRequest(example, {
        args: ['8', '100000'],
        props: { 'spark.app.name': 'pi deployed', 'spark.cores.max': '2' },
      }),
    );
    expect(created.success).toBe(true);
    const id = String(created.submissionId);
    const last = await ended(id, 120_000);
    expect(last.driverState, JSON.stringify(last)).toBe('FINISHED');
    const stdout = String((await call(`/v1/drivers/${id}/logs/stdout`)).body.text);
    const pi = Number(/Pi is roughly ([0-9.]+)/.exec(stdout)?.[1]);
    expect(Math.abs(pi - Math.PI)).toBeLessThan(0.01);
    const view = await get('/json');
    const app = (view.completedapps as Json[]).find((a) => a.name === 'pi deployed');
    expect(app?.state).toBe('FINISHED');
    expect(Number(view.coresused)).toBe(0);
  }, 180_000);

  it('cleanup from the deployed schedule marks a silent worker DEAD', async () => {
    const [lost] = launchers;
    const child = lost?.all[0]?.process;
    if (!child?.pid) throw new Error('no worker to stop');
    const before = ((await get('/json')).workers as Json[]).filter((w) => w.state === 'ALIVE');
    // The watch's delayed ticks would notice first: without them only the minute's
    // EventBridge schedule can run cleanup (which starts the watch again).
    const sqs = new SQSClient(aws);
    const watch = (
      await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Sparkplane-Watch' }))
    ).QueueUrls?.find((q) => !q.includes('DeadLetters'));
    expect(watch).toBeDefined();
    await sqs.send(new PurgeQueueCommand({ QueueUrl: watch }));
    sqs.destroy();
    // Stopped without a word: no decommission, no more heartbeats.
    child.kill('SIGSTOP');
    try {
      const dead = await until(
        'a worker DEAD',
        async () => {
          const workers = (await get('/json')).workers as Json[];
          return workers.find((w) => w.state === 'DEAD' && before.some((b) => b.id === w.id));
        },
        // spark.worker.timeout plus the schedule's minute, and room for a loaded machine.
        (DEPLOYED_WORKER_TIMEOUT_SEC + 60 + 30) * 1000,
      );
      expect(Date.now() - Number(dead.lastheartbeat)).toBeGreaterThanOrEqual(
        DEPLOYED_WORKER_TIMEOUT_SEC * 1000,
      );
    } finally {
      child.kill('SIGKILL');
    }
  }, 180_000);

  it('cdk destroy removes the stack but keeps the table', async () => {
    const dynamodb = new DynamoDBClient(aws);
    const sqs = new SQSClient(aws);
    try {
      const tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
      const table = tables.find((t) => t.startsWith('Sparkplane-State'));
      expect(table, tables.join(', ')).toBeDefined();
      await Promise.all(launchers.map((l) => l.stopAll(5_000)));
      await cdk(['destroy', '--force'], ministackEnv(endpoint));
      const kept = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
      expect(kept.Table?.TableStatus).toBe('ACTIVE');
      await expect(keyOf(deployed.SubmissionKeySecret)).rejects.toThrow();
      const queues = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Sparkplane-' })))
        .QueueUrls;
      expect(queues ?? []).toEqual([]);
      expect((await call('/v1/submissions/status/driver-x')).status).toBe(404);
    } finally {
      dynamodb.destroy();
      sqs.destroy();
    }
  }, 180_000);
});
