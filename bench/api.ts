// Latency of the hottest routes through the local gateway on DynamoDB Local and fauxqs,
// one caller at a time, with the DynamoDB and SQS requests each call makes. Auth is on
// (tokens verified on every call), as in a deployed stack.
import { AUTH_OFF, jwsAuth, mintToken } from '../lib/api/auth.js';
import { startControlPlane } from '../lib/local/control-plane.js';
import { LOCAL_AWS, startEmulators } from '../lib/local/emulators.js';
import { percentile } from './stats.js';

const CALLS = 300;
const WARMUP = 30;

const createBody = JSON.stringify({
  action: 'CreateSubmissionRequest',
  appResource: 'file:/opt/spark/examples/jars/spark-examples.jar',
  mainClass: 'org.apache.spark.examples.SparkPi',
  clientSparkVersion: '4.1.1',
  appArgs: ['100'],
  sparkProperties: { 'spark.app.name': 'Spark Pi', 'spark.driver.memory': '1g' },
  environmentVariables: {},
});

export async function apiBench(): Promise<void> {
  const emulators = await startEmulators();
  const keys = {
    submission: crypto.getRandomValues(new Uint8Array(32)),
    worker: crypto.getRandomValues(new Uint8Array(32)),
  };
  const cp = await startControlPlane({
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    sqsEndpoint: emulators.sqsEndpoint,
    aws: LOCAL_AWS,
    auth: process.env.BENCH_AUTH === 'off' ? AUTH_OFF : jwsAuth(keys.submission, keys.worker),
    scheduler: false,
    // No cleanup timer: its minute's reads would land in whichever route is being counted.
    cleanupEveryMs: 0,
  });
  const requests = { dynamo: 0, dynamoWrites: 0, sqs: 0 };
  // Writes apart: metrics and events may add no request to a steady heartbeat and at most
  // one write to a state change (a create is one: its driver's SUBMITTED).
  const WRITES = /^(Put|Update|Delete|TransactWrite|BatchWrite)/;
  const counter = (kind: 'dynamo' | 'sqs') =>
    ((next: (args: unknown) => unknown, context: { commandName?: string }) => (args: unknown) => {
      requests[kind]++;
      if (kind === 'dynamo' && WRITES.test(String(context.commandName))) requests.dynamoWrites++;
      return next(args);
    }) as never;
  cp.deps.table.doc.middlewareStack.add(counter('dynamo'), {
    step: 'initialize',
    name: 'countDynamo',
  });
  cp.deps.sqs.middlewareStack.add(counter('sqs'), { step: 'initialize', name: 'countSqs' });
  const submission = { authorization: `Bearer ${await mintToken(keys.submission)}` };
  const worker = { authorization: `Bearer ${await mintToken(keys.worker)}` };
  try {
    const registered = await fetch(`${cp.url}/v1/workers`, {
      method: 'POST',
      headers: { ...worker, 'content-type': 'application/json' },
      body: JSON.stringify({ host: '10.0.0.1', port: 7078, cores: 16, memoryMb: 65536 }),
    });
    const { workerId, credential } = (await registered.json()) as {
      workerId: string;
      credential?: string;
    };
    // Past registration a worker uses the credential naming it.
    const own: Record<string, string> = credential ? { authorization: `Bearer ${credential}` } : {};
    let driverId = '';
    // Every driver the creates made: the kills end them, one state change each.
    const created: string[] = [];
    const routes: Record<string, () => Promise<Response>> = {
      create: () =>
        fetch(`${cp.url}/v1/submissions/create`, {
          method: 'POST',
          headers: { ...submission, 'content-type': 'application/json' },
          body: createBody,
        }),
      status: () => fetch(`${cp.url}/v1/submissions/status/${driverId}`, { headers: submission }),
      heartbeat: () =>
        fetch(`${cp.url}/v1/workers/${workerId}/heartbeat`, {
          method: 'POST',
          headers: { ...own, 'content-type': 'application/json' },
          body: JSON.stringify({ executors: [], drivers: [] }),
        }),
      // A waiting driver killed: SUBMITTED → KILLED, one transition.
      kill: () =>
        fetch(`${cp.url}/v1/submissions/kill/${created.pop()}`, {
          method: 'POST',
          headers: submission,
        }),
    };
    for (const [route, call] of Object.entries(routes)) {
      for (let i = 0; i < WARMUP; i++) {
        const r = await call();
        if (!r.ok) throw new Error(`${route}: ${r.status} ${await r.text()}`);
        const body = (await r.json()) as { submissionId?: string };
        if (route === 'create' && body.submissionId) {
          driverId = body.submissionId;
          created.push(body.submissionId);
        }
      }
      requests.dynamo = 0;
      requests.dynamoWrites = 0;
      requests.sqs = 0;
      const times: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const start = performance.now();
        const r = await call();
        const body = (await r.json()) as { submissionId?: string };
        times.push(performance.now() - start);
        if (route === 'create' && body.submissionId) created.push(body.submissionId);
        if (!r.ok) throw new Error(`${route}: ${r.status}`);
      }
      console.log(
        JSON.stringify({
          bench: 'api',
          route,
          calls: CALLS,
          p50Ms: percentile(times, 50),
          p99Ms: percentile(times, 99),
          dynamoRequestsPerCall: requests.dynamo / CALLS,
          dynamoWritesPerCall: requests.dynamoWrites / CALLS,
          sqsRequestsPerCall: requests.sqs / CALLS,
        }),
      );
    }
  } finally {
    await cp.close();
    await emulators.stop();
  }
}
