// The worker agent: what runs in each ECS task (or as a local process). It registers like a
// Spark worker, heartbeats, and runs the drivers and executors the master assigns it as
// child processes. Commands arrive right after the master commits them, through a long poll
// of its own command route; the heartbeat answer carries the whole desired state, so a
// missed command is corrected within one heartbeat either way (level-triggered). The agent
// holds no AWS credentials: only its worker key, to register, and then the credential
// naming its worker that the registration returned.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, fchownSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { mintToken } from '../api/auth.js';
import type { WorkerConfig } from '../core/config.js';
import type { LogOwner } from '../core/logs.js';
import type { DriverState, ExecutorState, ResourceAddresses } from '../core/model.js';
import type {
  KillDriver,
  KillExecutor,
  LaunchDriver,
  LaunchExecutor,
  WorkerCommand,
} from '../protocol/commands.js';
import { findExecutable, sharingFate } from './fate.js';
import {
  childEnvironment,
  othersCanRun,
  passThroughDir,
  privateDir,
  type RunAs,
} from './isolation.js';
import {
  driverArgv,
  driverEnd,
  executorEnd,
  executorLaunch,
  registrationDelaysMs,
  resourcesFile,
  staleWorkDirs,
  superviseDelayMs,
  type WorkerPlace,
  workerUrl,
} from './launch.js';
import { LogShipper } from './log-shipper.js';

export interface AgentOptions {
  readonly workerId: string;
  readonly place: WorkerPlace;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: ResourceAddresses;
  readonly workDir: string;
  readonly config: WorkerConfig;
  /** Signs this worker's registration; none when the control plane runs without auth. */
  readonly workerKey?: Uint8Array;
  readonly logger: Logger;
  /** What runs this worker (its ECS task ARN) and the pool launch that started it. */
  readonly instanceId?: string;
  readonly launchToken?: string;
  /** The user drivers and executors run as; the agent's own when absent. */
  readonly runAs?: RunAs;
  readonly random?: () => number;
}

interface Run {
  readonly kind: 'executor' | 'driver';
  readonly key: string;
  readonly dir: string;
  state: ExecutorState | DriverState;
  child?: ChildProcess;
  killRequested: boolean;
  killTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
  /** The report the master has not acknowledged yet (the latest state change). */
  pending?: Report;
  final: boolean;
  appId?: string;
  executorId?: number;
  driverId?: string;
  /** Settles once its logs are shipped after its end (and its end is reported). */
  logsShipped?: Promise<void>;
}

const logOwner = (run: Run): LogOwner =>
  run.kind === 'driver'
    ? { kind: 'driver', driverId: run.driverId ?? '' }
    : { kind: 'executor', appId: run.appId ?? '', executorId: run.executorId ?? 0 };

/** Process-group kill: spark-submit forks a JVM that must go with it. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

const onPath = (name: string): boolean => findExecutable(name) !== undefined;

const TOMBSTONES = 10_000;
const REPORTS_PER_REQUEST = 500;
const REPORT_RETRY_MS = 1000;

/** A state change as the control plane's batch route takes it. */
type ReportedChange = { state: ExecutorState | DriverState } & Record<string, unknown>;
type Report =
  | ({ kind: 'executor'; appId: string; executorId: number } & ReportedChange)
  | ({ kind: 'driver'; driverId: string } & ReportedChange);

export class WorkerAgent {
  private readonly runs = new Map<string, Run>();
  /** Ids that ended here: executor and driver ids are never reused, so never relaunched. */
  private readonly ended = new Set<string>();
  private readonly scratch = new Map<string, string>();
  /** The credential naming this worker, from its registration (renewed by heartbeats). */
  private credential?: string;
  private heartbeatMs = 15_000;
  private registered = false;
  private stopping = false;
  private decommissioned = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private polling?: Promise<void>;
  private flushing?: Promise<void>;
  private flushAgain = false;
  private stopped?: Promise<void>;
  private readonly logs: LogShipper;

  constructor(private readonly o: AgentOptions) {
    this.logs = new LogShipper({
      post: (body) => this.call(`/v1/workers/${encodeURIComponent(this.id)}/logs`, body),
      intervalMs: o.config.logShipIntervalMs,
      maxBytes: o.config.logMaxBytes,
      logger: o.logger,
    });
  }

  get id(): string {
    return this.o.workerId;
  }

  // ---- the master ----------------------------------------------------------------------

  /** A short-lived token from the worker key to register; the credential for the rest. */
  private async authorization(registering: boolean): Promise<Record<string, string>> {
    if (!this.o.workerKey) return {};
    const token = registering
      ? await mintToken(this.o.workerKey, { sub: this.o.workerId }, 300)
      : this.credential;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private async call(
    path: string,
    body: unknown,
    signal: AbortSignal = AbortSignal.timeout(10_000),
  ): Promise<Response> {
    const response = await fetch(`${this.o.place.masterUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await this.authorization(path === '/v1/workers')),
      },
      body: JSON.stringify(body ?? {}),
      signal,
    });
    // A credential that lapsed (a long partition, a key rotation): register again.
    if (response.status === 401 && path !== '/v1/workers') this.registered = false;
    return response;
  }

  /** RegisterWorker with Spark's back-off; exits the process when the master refuses. */
  async register(): Promise<void> {
    const f = 0.5 + (this.o.random ?? Math.random)();
    const delays = registrationDelaysMs(
      this.o.config.initialRegistrationRetries,
      this.o.config.maxRegistrationRetries,
      f,
    );
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.call('/v1/workers', {
          workerId: this.o.workerId,
          host: this.o.place.host,
          port: this.o.place.port,
          cores: this.o.cores,
          memoryMb: this.o.memoryMb,
          resources: this.o.resources,
          ...(this.o.instanceId ? { instanceId: this.o.instanceId } : {}),
          ...(this.o.launchToken ? { launchToken: this.o.launchToken } : {}),
        });
        const body = (await r.json()) as Record<string, unknown>;
        if (r.status === 409) throw new RegistrationRefused(String(body.message));
        if (!r.ok) throw new Error(`${r.status} ${JSON.stringify(body)}`);
        this.heartbeatMs = Number(body.heartbeatIntervalMs);
        if (typeof body.credential === 'string') this.credential = body.credential;
        this.registered = true;
        this.o.logger.info('registered', { workerId: this.id, duplicate: body.duplicate });
        return;
      } catch (e) {
        if (e instanceof RegistrationRefused) throw e;
        const delay = delays[attempt];
        if (delay === undefined || this.stopping) {
          throw new Error(
            `registration failed after ${attempt + 1} attempts: ${(e as Error).message}`,
          );
        }
        this.o.logger.warn('registration failed; retrying', { error: (e as Error).message, delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Heartbeat with what runs here; act on the desired state in the answer. */
  async heartbeat(): Promise<void> {
    const executors: { appId: string; executorId: number; state: string }[] = [];
    const drivers: { driverId: string; state: string }[] = [];
    for (const run of this.runs.values()) {
      if (run.kind === 'executor') {
        executors.push({
          appId: run.appId ?? '',
          executorId: run.executorId ?? 0,
          state: run.state,
        });
      } else {
        drivers.push({ driverId: run.driverId ?? '', state: run.state });
      }
    }
    const r = await this.call(`/v1/workers/${encodeURIComponent(this.id)}/heartbeat`, {
      executors,
      drivers,
    });
    if (!r.ok) throw new Error(`heartbeat: ${r.status} ${await r.text()}`);
    const answer = (await r.json()) as {
      reconnect: boolean;
      credential?: string;
      launchExecutors?: LaunchExecutor[];
      launchDrivers?: LaunchDriver[];
      killExecutors?: KillExecutor[];
      killDrivers?: KillDriver[];
    };
    if (answer.reconnect) {
      // Spark's ReconnectWorker: the master lost this worker (it was declared DEAD).
      this.o.logger.warn('the master asks this worker to register again');
      this.registered = false;
      await this.register();
      return;
    }
    if (answer.credential) this.credential = answer.credential;
    for (const c of [
      ...(answer.killExecutors ?? []),
      ...(answer.killDrivers ?? []),
      ...(answer.launchExecutors ?? []),
      ...(answer.launchDrivers ?? []),
    ]) {
      this.handle(c);
    }
    await this.flushReports();
  }

  /**
   * Sends every report not yet acknowledged, in one request; reports made while it is in
   * flight go in the next one. A report is sent again only when its request failed.
   */
  private flushReports(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        const batch = [...this.runs.values()]
          .filter((run) => run.pending)
          .slice(0, REPORTS_PER_REQUEST)
          .map((run) => ({ run, report: run.pending as Report }));
        if (batch.length === 0) return;
        try {
          const r = await this.call(`/v1/workers/${encodeURIComponent(this.id)}/states`, {
            reports: batch.map((b) => b.report),
          });
          if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
          for (const { run, report } of batch) {
            if (run.pending === report) run.pending = undefined;
            if (run.final && !run.pending) this.forget(run);
          }
          if ([...this.runs.values()].some((run) => run.pending)) this.flushAgain = true;
        } catch (e) {
          this.o.logger.warn('state reports not delivered; retrying', {
            reports: batch.length,
            error: (e as Error).message,
          });
          if (!this.stopping) {
            this.timers.push(setTimeout(() => void this.flushReports(), REPORT_RETRY_MS));
          }
          return;
        }
      } while (this.flushAgain);
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private forget(run: Run): void {
    this.runs.delete(run.key);
    this.ended.add(run.key);
    if (this.ended.size > TOMBSTONES) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    if (run.appId && ![...this.runs.values()].some((r) => r.appId === run.appId)) {
      const dir = this.scratch.get(run.appId);
      if (dir) rmSync(dir, { recursive: true, force: true });
      this.scratch.delete(run.appId);
    }
  }

  private reportLater(run: Run, change: ReportedChange): void {
    run.pending =
      run.kind === 'executor'
        ? { kind: 'executor', appId: run.appId ?? '', executorId: run.executorId ?? 0, ...change }
        : { kind: 'driver', driverId: run.driverId ?? '', ...change };
    void this.flushReports();
  }

  // ---- commands ------------------------------------------------------------------------

  handle(c: WorkerCommand): void {
    if (c.type === 'LaunchExecutor') this.launchExecutor(c);
    else if (c.type === 'LaunchDriver') this.launchDriver(c);
    else if (c.type === 'KillExecutor') this.kill(`executor ${c.appId}/${c.executorId}`);
    else if (c.type === 'KillDriver') this.kill(`driver ${c.driverId}`);
    else this.decommissioned = true;
  }

  private fresh(key: string): boolean {
    // Spec §h: a decommissioned worker launches nothing more.
    return !this.stopping && !this.decommissioned && !this.runs.has(key) && !this.ended.has(key);
  }

  /** A stdout/stderr pair in the run's `dir`, appended to as Spark does, with a header on stderr. */
  private logFiles(dir: string, header: string): { out: number; err: number } {
    const open = (name: string) => {
      const fd = openSync(join(dir, name), 'a', 0o600);
      if (this.o.runAs) fchownSync(fd, this.o.runAs.uid, this.o.runAs.gid);
      return fd;
    };
    const out = open('stdout');
    const err = open('stderr');
    writeFileSync(err, `${header}\n${'='.repeat(40)}\n\n`);
    return { out, err };
  }

  /** How a driver or executor is spawned: as the run-as user, in its own directory. */
  private spawnOptions(dir: string, env: Readonly<Record<string, string>>) {
    const runAs = this.o.runAs;
    return {
      cwd: dir,
      env: childEnvironment(process.env, env, {
        home: dir,
        ...(runAs ? { user: runAs.name } : {}),
      }),
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      detached: true,
    };
  }

  private launchExecutor(c: LaunchExecutor): void {
    const key = `executor ${c.appId}/${c.executorId}`;
    if (!this.fresh(key)) return;
    const run: Run = {
      kind: 'executor',
      key,
      dir: join(this.o.workDir, c.appId, String(c.executorId)),
      state: 'LAUNCHING',
      killRequested: false,
      final: false,
      appId: c.appId,
      executorId: c.executorId,
    };
    this.runs.set(key, run);
    try {
      const launch = executorLaunch(
        c.command,
        {
          executorId: c.executorId,
          appId: c.appId,
          cores: c.cores,
          memoryMb: c.memoryMb,
          resourceProfileId: c.resourceProfileId,
          place: this.o.place,
        },
        process.env,
      );
      if (!launch.ok) throw new Error(launch.message);
      const argv = launch.argv;
      passThroughDir(dirname(run.dir), this.o.runAs !== undefined);
      privateDir(run.dir, this.o.runAs);
      if (Object.keys(c.resources).length > 0) {
        const file = join(run.dir, `resource-executor-${randomUUID()}.json`);
        writeFileSync(file, resourcesFile('spark.executor', c.resources));
        argv.push('--resourcesFile', file);
      }
      const { out, err } = this.logFiles(run.dir, `Spark Executor Command: "${argv.join('" "')}"`);
      this.logs.add(logOwner(run), run.dir, c.logToken);
      const [command, ...args] = sharingFate(argv);
      const child = spawn(command as string, args, {
        ...this.spawnOptions(run.dir, {
          ...launch.env,
          SPARK_EXECUTOR_DIRS: this.scratchDir(c.appId),
          SPARK_LAUNCH_WITH_SCALA: '0',
        }),
        stdio: ['ignore', out, err],
      });
      closeSync(out);
      closeSync(err);
      run.child = child;
      child.once('spawn', () => {
        if (run.final) return;
        run.state = 'RUNNING';
        this.reportLater(run, { state: 'RUNNING' });
      });
      child.once('error', (e) =>
        this.finish(run, {
          state: 'FAILED',
          message: `Failed to launch executor: ${e.message}`,
        }),
      );
      child.once('exit', (code, signal) => {
        const end = executorEnd({ code, signal, killed: run.killRequested }, osConstants.signals);
        this.finish(run, end);
      });
    } catch (e) {
      this.finish(run, {
        state: 'FAILED',
        message: `Failed to launch executor: ${(e as Error).message}`,
      });
    }
  }

  private scratchDir(appId: string): string {
    let dir = this.scratch.get(appId);
    if (!dir) {
      dir = join(
        tmpdir(),
        `sparkplane-${this.id.replace(/[^\w.-]/g, '_')}`,
        `executor-${randomUUID()}`,
      );
      passThroughDir(dirname(dir), this.o.runAs !== undefined);
      privateDir(dir, this.o.runAs);
      this.scratch.set(appId, dir);
    }
    return dir;
  }

  private finish(run: Run, change: ReportedChange): void {
    if (run.final) return;
    run.final = true;
    run.state = change.state;
    run.child = undefined;
    if (run.killTimer) clearTimeout(run.killTimer);
    this.o.logger.info('ended', { run: run.key, ...change });
    // Its logs are whole in the store before its end is reported: a reader that sees the
    // end sees all the output.
    run.logsShipped = this.logs.close(logOwner(run)).then(() => {
      // A stopping worker reports nothing: its disconnect (or its silence) makes the master
      // settle what ran here as Spark does on worker loss, relaunching supervised drivers.
      if (this.stopping) this.forget(run);
      else this.reportLater(run, change);
    });
  }

  private launchDriver(c: LaunchDriver): void {
    const key = `driver ${c.driverId}`;
    if (!this.fresh(key)) return;
    const run: Run = {
      kind: 'driver',
      key,
      dir: join(this.o.workDir, c.driverId),
      state: 'RUNNING',
      killRequested: false,
      final: false,
      driverId: c.driverId,
    };
    this.runs.set(key, run);
    privateDir(run.dir, this.o.runAs);
    this.logs.add(logOwner(run), run.dir, c.logToken);
    const resolved = driverArgv(c.command.argv, this.o.place, onPath, c.command.expand);
    if (!resolved.ok) {
      this.logFiles(run.dir, `Launch Command: (none): ${resolved.message}`);
      this.finish(run, { state: 'ERROR', exception: resolved.message });
      return;
    }
    const env: Record<string, string> = {
      ...c.command.env,
      SPARKPLANE_MASTER_URL: this.o.place.masterUrl,
      SPARKPLANE_HOST: this.o.place.host,
      SPARKPLANE_WORKER_URL: workerUrl(this.o.place),
      ...(c.token ? { SPARKPLANE_TOKEN: c.token } : {}),
      // Spark's Connect server reads its token from here when no property sets it: an
      // environment only its user and root can read, unlike the command line.
      ...(c.connectToken ? { SPARK_CONNECT_AUTHENTICATE_TOKEN: c.connectToken } : {}),
    };
    if (Object.keys(c.resources).length > 0) {
      const file = join(run.dir, `resource-driver-${randomUUID()}.json`);
      writeFileSync(file, resourcesFile('spark.driver', c.resources));
      env.SPARK_DRIVER_RESOURCES_FILE = file;
    }
    let delay: number | undefined;
    const start = () => {
      run.restartTimer = undefined;
      if (run.killRequested) {
        this.finish(run, { state: 'KILLED' });
        return;
      }
      const { out, err } = this.logFiles(run.dir, `Launch Command: "${resolved.argv.join('" "')}"`);
      const started = Date.now();
      let child: ChildProcess;
      try {
        const [command, ...args] = sharingFate(resolved.argv);
        child = spawn(command as string, args, {
          ...this.spawnOptions(run.dir, env),
          stdio: ['ignore', out, err],
        });
      } catch (e) {
        // A command no process can run (a NUL byte, an argument past the kernel's limit):
        // the driver ends in ERROR and its capacity is freed, as Spark's DriverRunner does.
        this.finish(run, {
          state: 'ERROR',
          exception: `Failed to launch the driver: ${(e as Error).message}`,
        });
        return;
      } finally {
        closeSync(out);
        closeSync(err);
      }
      run.child = child;
      child.once('error', (e) =>
        this.finish(run, {
          state: 'ERROR',
          exception: `Failed to launch the driver: ${e.message}`,
        }),
      );
      child.once('exit', (code) => {
        if (run.final) return;
        run.child = undefined;
        if (run.killTimer) clearTimeout(run.killTimer);
        // Spec §f: a supervised driver that failed on its own starts again, with back-off.
        if (c.supervise && code !== 0 && !run.killRequested && !this.stopping) {
          delay = superviseDelayMs(delay, Date.now() - started);
          this.o.logger.info('supervised driver failed; restarting', { run: run.key, code, delay });
          run.restartTimer = setTimeout(start, delay);
          return;
        }
        this.finish(run, { state: driverEnd({ code, killed: run.killRequested }) });
      });
    };
    start();
  }

  /** SIGTERM to the process group, SIGKILL after the grace period. */
  private kill(key: string): void {
    const run = this.runs.get(key);
    if (!run || run.final || run.killRequested) return;
    run.killRequested = true;
    if (run.restartTimer) {
      clearTimeout(run.restartTimer);
      run.restartTimer = undefined;
      this.finish(run, { state: 'KILLED' });
      return;
    }
    const child = run.child;
    if (!child) return;
    signalGroup(child, 'SIGTERM');
    run.killTimer = setTimeout(
      () => signalGroup(child, 'SIGKILL'),
      this.o.config.driverTerminateTimeoutMs,
    );
  }

  // ---- loops ---------------------------------------------------------------------------

  /** Registers, then heartbeats, listens to its queue and cleans its work directory. */
  async start(): Promise<void> {
    passThroughDir(this.o.workDir, this.o.runAs !== undefined);
    if (this.o.runAs && !othersCanRun(this.o.workDir)) {
      throw new Error(
        `${this.o.runAs.name} cannot reach the work directory ${this.o.workDir}: make its parents o+x`,
      );
    }
    await this.register();
    const beat = async () => {
      if (this.stopping) return;
      try {
        if (!this.registered) await this.register();
        await this.heartbeat();
      } catch (e) {
        this.o.logger.warn('heartbeat failed', { error: (e as Error).message });
      }
      if (!this.stopping) this.timers.push(setTimeout(beat, this.heartbeatMs));
    };
    void beat();
    this.polling = this.listen();
    if (this.o.config.cleanupEnabled) {
      const every = this.o.config.cleanupIntervalSec * 1000;
      this.timers.push(setInterval(() => void this.cleanWorkDir(), every));
    }
  }

  /** The push channel: commands arrive here right after the master committed them. */
  private async listen(): Promise<void> {
    let acknowledge: string[] = [];
    while (!this.stopping) {
      if (!this.registered) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      try {
        const r = await this.call(
          `/v1/workers/${encodeURIComponent(this.id)}/commands`,
          { acknowledge, waitSec: 20 },
          AbortSignal.any([this.abort.signal, AbortSignal.timeout(30_000)]),
        );
        if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
        const { commands } = (await r.json()) as {
          commands: { receipt: string; command: WorkerCommand }[];
        };
        for (const { command } of commands) this.handle(command);
        acknowledge = commands.map((c) => c.receipt);
      } catch (e) {
        if (this.stopping) return;
        this.o.logger.warn('command route unreachable; the heartbeat carries the commands', {
          error: (e as Error).message,
        });
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  async cleanWorkDir(): Promise<void> {
    const active = new Set<string>();
    for (const run of this.runs.values()) active.add(run.appId ?? run.driverId ?? '');
    const newest = async (path: string): Promise<number> => {
      const s = await stat(path);
      if (!s.isDirectory()) return s.mtimeMs;
      const entries = await readdir(path);
      const times = await Promise.all(entries.map((e) => newest(join(path, e))));
      return Math.max(s.mtimeMs, ...times);
    };
    try {
      const names = await readdir(this.o.workDir);
      const dirs = await Promise.all(
        names.map(async (name) => ({ name, newestMs: await newest(join(this.o.workDir, name)) })),
      );
      const ttl = this.o.config.cleanupAppDataTtlSec * 1000;
      for (const name of staleWorkDirs(dirs, active, Date.now(), ttl)) {
        rmSync(join(this.o.workDir, name), { recursive: true, force: true });
      }
    } catch (e) {
      this.o.logger.warn('work dir cleanup failed', { error: (e as Error).message });
    }
  }

  /**
   * How ECS stops a task (scale-in, Spot, a deploy): decommission (the master places nothing
   * more here and its drivers are told their executors go), stop every process, and say the
   * worker is gone. The master then settles it as Spark settles a lost worker: executors
   * LOST, supervised drivers relaunched elsewhere under new ids, the others ERROR.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    // Reports made before this moment still go; later ends are the disconnect's to settle.
    await this.flushReports();
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.abort.abort();
    if (this.registered) {
      await this.call(`/v1/workers/${encodeURIComponent(this.id)}/decommission`, {}).catch(
        (e: Error) => this.o.logger.warn('decommission not delivered', { error: e.message }),
      );
    }
    const running = [...this.runs.values()].filter((r) => !r.final);
    const exited = running.map(
      (run) =>
        new Promise<void>((resolve) => {
          if (!run.child) return resolve();
          run.child.once('exit', () => resolve());
        }),
    );
    for (const run of running) this.kill(run.key);
    await Promise.all(exited);
    await Promise.all(running.map((run) => run.logsShipped));
    this.logs.stop();
    await this.polling?.catch(() => undefined);
    // Spark's master removes a worker whose connection closes; this one says it is gone, so
    // a worker started again at the same address is not refused as a duplicate.
    if (this.registered) {
      await this.call(`/v1/workers/${encodeURIComponent(this.id)}/disconnect`, {}).catch(
        (e: Error) => this.o.logger.warn('disconnect not delivered', { error: e.message }),
      );
    }
  }
}

export class RegistrationRefused extends Error {
  override readonly name = 'RegistrationRefused';
}
