// The HTTP API over real HTTP on DynamoDB Local and fauxqs: what each route does, what it
// costs in DynamoDB and SQS requests, and what it refuses.
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { workersHandler } from '../../lib/api/workers.js';
import { pushCommands, workerQueueName } from '../../lib/cloud/worker-queues.js';
import type { ControlPlane } from '../../lib/local/control-plane.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { snapshot, startApi } from './api.js';

let cp: ControlPlane;

beforeAll(async () => {
  process.env.SPARKPLANE_TEST_ALLOWED = 'allowed-value';
  process.env.SPARKPLANE_TEST_SECRET = 'secret-value';
  cp = await startApi({ placeholders: 'SPARKPLANE_TEST_ALLOWED' });
});
afterAll(() => cp?.close());

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${cp.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
const get = (path: string) => fetch(`${cp.url}${path}`);
const jsonOf = async (r: Response) => (await r.json()) as Record<string, unknown>;

const pass = () =>
  runSchedulingPass(cp.deps.table, cp.deps.master, {
    holder: randomUUID(),
    leaseMs: 10_000,
    maxAttempts: 3,
    now: Date.now,
    random: mulberry32(5),
  });

/** Counts the requests a block makes, per client and kind. */
async function counting<T>(work: () => Promise<T>) {
  const dynamo = new Map<string, number>();
  const sqs = new Map<string, number>();
  const count = (into: Map<string, number>) =>
    ((next: (args: unknown) => unknown, context: { commandName?: string }) => (args: unknown) => {
      const name = String(context.commandName).replace(/Command$/, '');
      into.set(name, (into.get(name) ?? 0) + 1);
      return next(args);
    }) as never;
  const dynamoName = `count-${randomUUID()}`;
  const sqsName = `count-${randomUUID()}`;
  cp.deps.table.doc.middlewareStack.add(count(dynamo), { step: 'initialize', name: dynamoName });
  cp.deps.sqs.middlewareStack.add(count(sqs), { step: 'initialize', name: sqsName });
  try {
    const result = await work();
    return { result, dynamo, sqs };
  } finally {
    cp.deps.table.doc.middlewareStack.remove(dynamoName);
    cp.deps.sqs.middlewareStack.remove(sqsName);
  }
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const writes = (m: Map<string, number>) =>
  ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'].reduce(
    (n, k) => n + (m.get(k) ?? 0),
    0,
  );

const createBody = (props: Record<string, string> = {}, env: Record<string, string> = {}) => ({
  action: 'CreateSubmissionRequest',
  appResource: 'file:/app.jar',
  mainClass: 'org.example.Main',
  clientSparkVersion: '4.1.1',
  appArgs: [],
  sparkProperties: { 'spark.app.name': 'test', ...props },
  environmentVariables: env,
});

async function register(port: number, cores = 4) {
  const r = await post('/v1/workers', { host: '127.0.0.1', port, cores, memoryMb: 8192 });
  expect(r.status).toBe(200);
  return String((await jsonOf(r)).workerId);
}

describe('submissions', () => {
  it('create is at most three DynamoDB writes and one SQS send, and nothing is placed yet', async () => {
    const { result, dynamo, sqs } = await counting(() =>
      post('/v1/submissions/create', createBody()),
    );
    const body = await jsonOf(result);
    expect(body.success).toBe(true);
    // The id counter and the driver, then the one write its SUBMITTED event adds: the
    // outbox removed once the event is published.
    expect(writes(dynamo)).toBeLessThanOrEqual(3);
    expect(total(dynamo)).toBe(writes(dynamo));
    expect([...sqs]).toEqual([['SendMessage', 1]]);
    const status = await jsonOf(await get(`/v1/submissions/status/${body.submissionId}`));
    expect(status.driverState).toBe('SUBMITTED');
  });

  it('an Idempotency-Key makes a retried create return the first driver', async () => {
    const key = randomUUID();
    const first = await jsonOf(
      await post('/v1/submissions/create', createBody(), { 'idempotency-key': key }),
    );
    const again = await post('/v1/submissions/create', createBody(), { 'idempotency-key': key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await jsonOf(again)).submissionId).toBe(first.submissionId);
    const other = await post('/v1/submissions/create', createBody({ 'spark.x': '1' }), {
      'idempotency-key': key,
    });
    expect(other.status).toBe(409);
    expect((await jsonOf(other)).action).toBe('ErrorResponse');
    // The driver killed and cleared: the replay still answers as the first create did.
    await post(`/v1/submissions/kill/${first.submissionId}`);
    expect((await jsonOf(await post('/v1/submissions/clear'))).success).toBe(true);
    expect((await jsonOf(await get(`/v1/submissions/status/${first.submissionId}`))).success).toBe(
      false,
    );
    const late = await post('/v1/submissions/create', createBody(), { 'idempotency-key': key });
    expect(late.status).toBe(200);
    expect(await jsonOf(late)).toMatchObject({
      success: true,
      submissionId: first.submissionId,
      message: `Driver successfully submitted as ${first.submissionId}`,
    });
  });

  it('{{NAME}} placeholders read only allow-listed variables', async () => {
    const body = createBody(
      { 'spark.a': '{{SPARKPLANE_TEST_ALLOWED}}', 'spark.b': '{{SPARKPLANE_TEST_SECRET}}' },
      { SECRET: '{{SPARKPLANE_TEST_SECRET}}', SPARK_LOCAL_IP: '1.2.3.4' },
    );
    const { submissionId } = await jsonOf(await post('/v1/submissions/create', body));
    const { cluster } = await import('../../lib/store/cluster.js').then(async (m) =>
      m.loadActiveCluster(cp.deps.table),
    );
    const driver = cluster.drivers[String(submissionId)];
    expect(driver?.description.sparkProperties['spark.a']).toBe('allowed-value');
    expect(driver?.description.sparkProperties['spark.b']).toBe('{{SPARKPLANE_TEST_SECRET}}');
    expect(driver?.description.environmentVariables).toEqual({
      SECRET: '{{SPARKPLANE_TEST_SECRET}}',
    });
  });

  it('kill ends a waiting driver at once; killall the rest; status reads completed ones', async () => {
    const a = await jsonOf(await post('/v1/submissions/create', createBody()));
    const killed = await jsonOf(await post(`/v1/submissions/kill/${a.submissionId}`));
    expect(killed.success).toBe(true);
    expect((await jsonOf(await get(`/v1/submissions/status/${a.submissionId}`))).driverState).toBe(
      'KILLED',
    );
    const again = await jsonOf(await post(`/v1/submissions/kill/${a.submissionId}`));
    expect(again.success).toBe(false);
    await post('/v1/submissions/create', createBody());
    expect((await jsonOf(await post('/v1/submissions/killall'))).success).toBe(true);
    const state = await jsonOf(await get('/json/activedrivers'));
    expect(state.activedrivers).toEqual([]);
  });
});

describe('retention', () => {
  it('the completed lists are trimmed as Spark trims them, at once, not at the next cleanup', async () => {
    const ui = await startApi({ sparkProperties: { 'spark.deploy.retainedDrivers': '2' } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const created = await fetch(`${ui.url}/v1/submissions/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(createBody()),
        });
        const id = String((await jsonOf(created)).submissionId);
        ids.push(id);
        await fetch(`${ui.url}/v1/submissions/kill/${id}`, { method: 'POST' });
      }
      const { completeddrivers } = await jsonOf(await fetch(`${ui.url}/json/completeddrivers`));
      // Spark's list of 2 drops its oldest before each append: the newest 2 stay.
      expect((completeddrivers as { id: string }[]).map((d) => d.id).sort()).toEqual(
        ids.slice(2).sort(),
      );
    } finally {
      await ui.close();
    }
  });
});

describe('workers', () => {
  it('register: a generated Spark id, a duplicate, an address in use, a command queue', async () => {
    const r = await post('/v1/workers', { host: '10.1.0.1', port: 7078, cores: 2, memoryMb: 2048 });
    const body = await jsonOf(r);
    expect(body.workerId).toMatch(/^worker-\d{14}-10\.1\.0\.1-7078$/);
    expect(body).toMatchObject({ duplicate: false, heartbeatIntervalMs: 15_000 });
    const dup = await post('/v1/workers', {
      host: '10.1.0.1',
      port: 7078,
      cores: 2,
      memoryMb: 2048,
      workerId: body.workerId,
    });
    expect((await jsonOf(dup)).duplicate).toBe(true);
    const clash = await post('/v1/workers', {
      host: '10.1.0.1',
      port: 7078,
      cores: 2,
      memoryMb: 1,
      workerId: 'worker-elsewhere',
    });
    expect(clash.status).toBe(409);
    expect((await jsonOf(clash)).message).toBe(
      'Attempted to re-register worker at same address: 10.1.0.1:7078',
    );
  });

  it('commands: a worker long-polls its own queue through its route and acknowledges', async () => {
    const r = await post('/v1/workers', { host: '10.1.9.1', port: 7078, cores: 1, memoryMb: 512 });
    const { workerId } = (await jsonOf(r)) as { workerId: string };
    const kill = { type: 'KillDriver', driverId: 'driver-20260101000000-0001' } as const;
    await pushCommands(cp.deps.sqs, new Map([[workerId, [kill]]]));
    const route = `/v1/workers/${workerId}/commands`;
    const first = (await jsonOf(await post(route, { waitSec: 5 }))) as {
      commands: { receipt: string; command: unknown }[];
    };
    expect(first.commands.map((c) => c.command)).toEqual([kill]);
    const acked = await jsonOf(
      await post(route, { waitSec: 0, acknowledge: first.commands.map((c) => c.receipt) }),
    );
    expect(acked).toEqual({ commands: [] });
    const { QueueUrl } = await cp.deps.sqs.send(
      new GetQueueUrlCommand({ QueueName: workerQueueName(workerId) }),
    );
    const { Attributes } = await cp.deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    // No queue, no commands: a worker never registered gets a 404, and bad polls a 400.
    expect((await post('/v1/workers/worker-none/commands', { waitSec: 0 })).status).toBe(404);
    const bad = await post(route, { waitSec: 21 });
    expect(bad.status).toBe(400);
    expect(String((await jsonOf(bad)).message)).toContain('waitSec');
  });

  it('a registration reads its address, not the cluster; two at one address: one wins', async () => {
    const body = (port: number, workerId?: string) => ({
      host: '10.2.0.1',
      port,
      cores: 2,
      memoryMb: 2048,
      ...(workerId ? { workerId } : {}),
    });
    const first = await counting(() => post('/v1/workers', body(7000)));
    for (let port = 7001; port < 7041; port++) {
      expect((await post('/v1/workers', body(port))).status).toBe(200);
    }
    const later = await counting(() => post('/v1/workers', body(7041)));
    expect(later.result.status).toBe(200);
    expect(total(later.dynamo)).toBe(total(first.dynamo));
    expect(later.dynamo.get('Query') ?? 0).toBe(0);
    // Registrations racing for one address: Spark refuses all but one.
    const racing = await Promise.all(
      ['worker-race-a', 'worker-race-b', 'worker-race-c'].map((id) =>
        post('/v1/workers', body(7100, id)),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  it('a steady heartbeat is one DynamoDB request; a new assignment comes with its command', async () => {
    await register(7100);
    const { submissionId } = await jsonOf(await post('/v1/submissions/create', createBody()));
    await pass();
    const placed = await jsonOf(await get(`/v1/submissions/status/${submissionId}`));
    const workerId = String(placed.workerId);
    const missing = await jsonOf(await post(`/v1/workers/${workerId}/heartbeat`, {}));
    expect(missing.launchDrivers).toMatchObject([
      {
        type: 'LaunchDriver',
        driverId: submissionId,
        command: { argv: expect.arrayContaining(['--class', 'org.example.Main']) },
      },
    ]);
    const report = {
      executors: [{ appId: 'app-gone', executorId: 1, state: 'RUNNING' }],
      drivers: [{ driverId: submissionId, state: 'RUNNING' }],
    };
    const { result, dynamo } = await counting(() =>
      post(`/v1/workers/${workerId}/heartbeat`, report),
    );
    const steady = await jsonOf(result);
    expect(total(dynamo)).toBe(1);
    expect(steady).toMatchObject({
      reconnect: false,
      launchDrivers: [],
      launchExecutors: [],
      killExecutors: [{ type: 'KillExecutor', appId: 'app-gone', executorId: 1 }],
    });
    expect(await jsonOf(await post('/v1/workers/worker-unknown/heartbeat', {}))).toEqual({
      reconnect: true,
    });
  });

  it("reports: one by one or batched, from the worker that runs it, never another's", async () => {
    const workerId = await register(7101, 8);
    const other = await register(7102, 8);
    const { appId } = await jsonOf(
      await post('/v1/applications', {
        name: 'reports',
        maxCores: 3,
        executor: { cores: 1, memoryMb: 256 },
        command: { argv: ['{{NODE}}', 'run.mjs'] },
      }),
    );
    await pass();
    const app = await jsonOf(await get(`/v1/applications/${appId}`));
    const executors = app.executors as { executorId: number; workerId: string }[];
    expect(executors).toHaveLength(3);
    const [first, ...rest] = executors as [(typeof executors)[0], ...typeof executors];
    const stranger = first.workerId === workerId ? other : workerId;
    // Another worker cannot end (or start) what it does not run.
    const untouched = await snapshot(cp.deps.table);
    const forged = await post(
      `/v1/workers/${stranger}/executors/${appId}/${first.executorId}/state`,
      { state: 'FAILED' },
    );
    expect(await jsonOf(forged)).toEqual({ outcome: 'rejected' });
    expect(await snapshot(cp.deps.table)).toBe(untouched);
    const single = await post(
      `/v1/workers/${first.workerId}/executors/${appId}/${first.executorId}/state`,
      { state: 'RUNNING' },
    );
    expect(await jsonOf(single)).toEqual({ outcome: 'applied' });
    for (const e of rest) {
      const batch = await post(`/v1/workers/${e.workerId}/states`, {
        reports: [{ kind: 'executor', appId, executorId: e.executorId, state: 'RUNNING' }],
      });
      expect(await jsonOf(batch)).toEqual({ outcomes: ['applied'] });
    }
    const batch = await post(`/v1/workers/${first.workerId}/states`, {
      reports: [
        { kind: 'executor', appId, executorId: 99, state: 'RUNNING' },
        { kind: 'executor', appId, executorId: first.executorId, state: 'EXITED', exitStatus: 0 },
      ],
    });
    expect(await jsonOf(batch)).toEqual({ outcomes: ['unknown', 'applied'] });
    const after = await jsonOf(await get(`/v1/applications/${appId}`));
    expect(after.coresGranted).toBe(2);
    const before = await snapshot(cp.deps.table);
    const bad = await post(`/v1/workers/${workerId}/states`, {
      reports: [{ kind: 'executor', appId, executorId: 1, state: 'LAUNCHING' }],
    });
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).message).toContain('reports.0.state');
    expect(await snapshot(cp.deps.table)).toBe(before);
  });

  it('decommission: executors leave their application, the worker takes no more work', async () => {
    const workerId = await register(7103, 2);
    const r = await post(`/v1/workers/${workerId}/decommission`);
    expect(await jsonOf(r)).toEqual({ workerId, state: 'DECOMMISSIONED' });
    expect((await post('/v1/workers/nobody/decommission')).status).toBe(404);
  });

  it('with auth off, a caller that is not on this machine is refused', async () => {
    const handler = workersHandler(cp.deps);
    const result = await handler(
      {
        version: '2.0',
        routeKey: '$default',
        rawPath: '/v1/workers/x/heartbeat',
        rawQueryString: '',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        isBase64Encoded: false,
        requestContext: {
          accountId: 'a',
          apiId: 'a',
          domainName: 'example.com',
          domainPrefix: 'example',
          http: {
            method: 'POST',
            path: '/v1/workers/x/heartbeat',
            protocol: 'HTTP/1.1',
            sourceIp: '10.0.0.9',
            userAgent: 'test',
          },
          requestId: 'r',
          routeKey: '$default',
          stage: '$default',
          time: '',
          timeEpoch: 0,
        },
      },
      {} as never,
    );
    expect(result.statusCode).toBe(403);
  });
});

describe('applications', () => {
  it('register, place, grow, kill an executor, unregister', async () => {
    await register(7110, 4);
    const r = await post('/v1/applications', {
      name: 'lifecycle',
      user: 'alice',
      maxCores: 2,
      initialExecutorLimit: 1,
      executor: { cores: 1, memoryMb: 512 },
      command: { argv: ['{{NODE}}', 'run-executor.mjs', '{{EXECUTOR_ID}}'], env: { A: 'b' } },
    });
    const { appId } = await jsonOf(r);
    expect(String(appId)).toMatch(/^app-\d{14}-\d{4}$/);
    await pass();
    let app = await jsonOf(await get(`/v1/applications/${appId}`));
    expect(app).toMatchObject({ state: 'RUNNING', coresGranted: 1, executorLimit: 1 });
    expect(await jsonOf(await post(`/v1/applications/${appId}/executors`, { total: 2 }))).toEqual({
      appId,
      total: 2,
    });
    await pass();
    app = await jsonOf(await get(`/v1/applications/${appId}`));
    expect(app.coresGranted).toBe(2);
    await post(`/v1/applications/${appId}/executors/kill`, { executorIds: ['0', 'x'] });
    app = await jsonOf(await get(`/v1/applications/${appId}`));
    expect((app.executors as { state: string }[]).map((e) => e.state)).toEqual([
      'KILLED',
      'LAUNCHING',
    ]);
    const done = await fetch(`${cp.url}/v1/applications/${appId}`, { method: 'DELETE' });
    expect(await jsonOf(done)).toEqual({ appId, state: 'FINISHED' });
    app = await jsonOf(await get(`/v1/applications/${appId}`));
    expect(app.state).toBe('FINISHED');
    expect((app.executors as { state: string }[]).every((e) => e.state === 'KILLED')).toBe(true);
    const gone = await post(`/v1/applications/${appId}/kill`);
    expect(gone.status).toBe(404);
  });

  it("Spark's executor command, and targets per resource profile", async () => {
    await register(7111, 4);
    const java = {
      mainClass: 'org.apache.spark.executor.CoarseGrainedExecutorBackend',
      arguments: ['--executor-id', '{{EXECUTOR_ID}}'],
      javaOpts: ['-Dspark.driver.port=4041'],
    };
    const { appId } = await jsonOf(
      await post('/v1/applications', {
        name: 'spark',
        initialExecutorLimit: 0,
        executor: { cores: 1, memoryMb: 512 },
        command: { java, env: {} },
      }),
    );
    const grown = await post(`/v1/applications/${appId}/executors`, {
      profiles: [
        { resourceProfileId: 0, total: 1 },
        { resourceProfileId: 2, total: 1, executor: { cores: 2 } },
      ],
    });
    expect(await jsonOf(grown)).toEqual({ appId, total: 2 });
    await pass();
    const app = await jsonOf(await get(`/v1/applications/${appId}`));
    // Profile 2 names its cores; its memory is the application's.
    expect(
      (app.executors as { resourceProfileId: number; cores: number; memoryMb: number }[])
        .map((e) => [e.resourceProfileId, e.cores, e.memoryMb])
        .sort(),
    ).toEqual([
      [0, 1, 512],
      [2, 2, 512],
    ]);
    const before = await snapshot(cp.deps.table);
    for (const [body, field] of [
      [{ total: 1, profiles: [{ resourceProfileId: 0, total: 1 }] }, 'total'],
      [{}, 'total'],
      [
        {
          profiles: [
            { resourceProfileId: 1, total: 1 },
            { resourceProfileId: 1, total: 2 },
          ],
        },
        'profiles',
      ],
    ] as const) {
      const r = await post(`/v1/applications/${appId}/executors`, body);
      expect(r.status).toBe(400);
      expect(String((await jsonOf(r)).message)).toContain(field);
    }
    for (const command of [
      { java: { ...java, mainClass: '-XX:+Bogus' } },
      { java, argv: ['{{NODE}}', 'x.mjs'] },
      { env: {} },
    ]) {
      const r = await post('/v1/applications', {
        name: 'bad',
        executor: { memoryMb: 1 },
        command,
      });
      expect(r.status).toBe(400);
      expect(String((await jsonOf(r)).message)).toMatch(/command\.(java\.mainClass|argv)/);
    }
    expect(await snapshot(cp.deps.table)).toBe(before);
  });

  it('refusals name the offending field and change nothing', async () => {
    const before = await snapshot(cp.deps.table);
    const r = await post('/v1/applications', {
      name: 'bad',
      executor: { memoryMb: -1 },
      command: { argv: [] },
    });
    expect(r.status).toBe(400);
    const body = await jsonOf(r);
    expect(body.error).toBe('invalid_body');
    expect(String(body.message)).toContain('executor.memoryMb');
    expect(String(body.message)).toContain('command.argv');
    expect((await fetch(`${cp.url}/v1/applications/x/executors`)).status).toBe(405);
    expect(await snapshot(cp.deps.table)).toBe(before);
  });
});

describe('the cluster view', () => {
  it('/json and its fields in Spark shape', async () => {
    const state = await jsonOf(await get('/json'));
    expect(Object.keys(state)).toEqual([
      'url',
      'workers',
      'aliveworkers',
      'cores',
      'coresused',
      'memory',
      'memoryused',
      'resources',
      'resourcesused',
      'activeapps',
      'completedapps',
      'activedrivers',
      'completeddrivers',
      'status',
    ]);
    expect(state.url).toBe('spark://127.0.0.1:6066');
    expect(await jsonOf(await get('/json/status'))).toEqual({ status: 'ALIVE' });
    expect(await jsonOf(await get('/json/nosuchfield'))).toEqual({ nosuchfield: '' });
    const utilization = await jsonOf(await get('/json/clusterutilization'));
    expect(Object.keys(utilization)).toContain('coresutilization');
  });
});

describe("the UI's decommission, POST /workers/kill/?host=… (spec §d.4)", () => {
  it('is not mounted unless spark.decommission.enabled', async () => {
    expect((await post('/workers/kill/?host=127.0.0.1')).status).toBe(404);
  });

  it('decommissions every worker on the hosts (case-insensitive): 200 if any, 404 if none', async () => {
    const ui = await startApi({ sparkProperties: { 'spark.decommission.enabled': 'true' } });
    const call = (path: string, body?: string) =>
      fetch(`${ui.url}${path}`, {
        method: 'POST',
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
      });
    try {
      for (const [host, port] of [
        ['node-a', 7078],
        ['node-a', 7079],
        ['node-b', 7078],
        ['node-c', 7078],
      ] as const) {
        const r = await fetch(`${ui.url}/v1/workers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ host, port, cores: 2, memoryMb: 1024 }),
        });
        expect(r.status).toBe(200);
      }
      const one = await call('/workers/kill/?host=NODE-A');
      expect([one.status, await jsonOf(one)]).toEqual([200, { decommissioned: 2 }]);
      const form = await call('/workers/kill/', 'host=node-b&host=nowhere');
      expect([form.status, await jsonOf(form)]).toEqual([200, { decommissioned: 1 }]);
      const none = await call('/workers/kill?host=nowhere');
      expect([none.status, await jsonOf(none)]).toEqual([404, { decommissioned: 0 }]);
      const states = Object.fromEntries(
        ((await jsonOf(await fetch(`${ui.url}/json`))).workers as Record<string, unknown>[]).map(
          (w) => [`${w.host}:${w.port}`, w.state],
        ),
      );
      expect(states).toEqual({
        'node-a:7078': 'DECOMMISSIONED',
        'node-a:7079': 'DECOMMISSIONED',
        'node-b:7078': 'DECOMMISSIONED',
        'node-c:7078': 'ALIVE',
      });
    } finally {
      await ui.close();
    }
  });

  it('spark.master.ui.decommission.allow.mode=DENY answers 405 and changes nothing', async () => {
    const ui = await startApi({
      sparkProperties: {
        'spark.decommission.enabled': 'true',
        'spark.master.ui.decommission.allow.mode': 'deny',
      },
    });
    try {
      const before = await snapshot(ui.deps.table);
      expect((await fetch(`${ui.url}/workers/kill/?host=x`, { method: 'POST' })).status).toBe(405);
      expect(await snapshot(ui.deps.table)).toBe(before);
    } finally {
      await ui.close();
    }
  });
});
