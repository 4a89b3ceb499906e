import { AUTH_OFF } from '../lib/api/auth.js';
import { startControlPlane } from '../lib/local/control-plane.js';
import { LOCAL_AWS, startEmulators } from '../lib/local/emulators.js';
import { LocalLauncher, tempWorkDirs } from '../lib/local/workers.js';
import { loseLocalWorker } from '../test/harness/lose-worker.js';

export interface LocalStack {
  readonly url: string;
  /** Each worker's work directory, in start order. */
  readonly workDirs: readonly string[];
  /** SIGKILL the index-th worker and everything it runs. */
  loseWorker(index: number): void;
  stop(): Promise<void>;
}

export async function startLocalStack(o: {
  cores: number;
  memory: string;
  firstPort: number;
  workers?: number;
  sparkProperties?: Record<string, string>;
  env?: Record<string, string>;
}): Promise<LocalStack> {
  const count = o.workers ?? 2;
  const emulators = await startEmulators();
  const cp = await startControlPlane({
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    sqsEndpoint: emulators.sqsEndpoint,
    aws: LOCAL_AWS,
    auth: AUTH_OFF,
    sparkProperties: o.sparkProperties ?? {},
  });
  const workers = new LocalLauncher({
    masterUrl: cp.url,
    cores: o.cores,
    memory: o.memory,
    workDirs: tempWorkDirs('sparkplane-bench-'),
    firstPort: o.firstPort,
    env: { ...process.env, ...o.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
    // As npm start and ECS's stopped-task events: an agent that dies is lost at once.
    onExit: (instanceId, reason) => void cp.instanceStopped(instanceId, reason),
  });
  await workers.launch(count, 'bench');
  const stop = async () => {
    await workers.stopAll();
    await cp.close();
    await emulators.stop();
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = (await (await fetch(`${cp.url}/json/aliveworkers`)).json()) as {
      aliveworkers: number;
    };
    if (r.aliveworkers === count) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('bench: the workers did not register');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: cp.url,
    workDirs: workers.all.map((w) => w.workDir),
    loseWorker(i) {
      const w = workers.all[i];
      if (!w) throw new Error(`bench: no worker ${i}`);
      loseLocalWorker(w.process, w.workDir);
    },
    stop,
  };
}
