// `npm start` (lib/local/main.ts) as a process of its own, in its own process group, ready
// once it says so. The restart test and the recovery benchmark share it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../lib/local/main.ts', import.meta.url));

export interface LocalMain {
  readonly process: ChildProcess;
  /** SIGKILL its whole process group, as when its machine is lost. */
  lose(): void;
  /** SIGTERM, as Ctrl-C: it stops its workers and emulators. */
  stop(): Promise<void>;
}

export async function startLocalMain(o: {
  readonly dataDir: string;
  readonly port: number;
  readonly workers: number;
  readonly cores: number;
  readonly memory: string;
  readonly env?: NodeJS.ProcessEnv;
  /** More of its options (`--auth`, `--conf k=v`). */
  readonly args?: readonly string[];
}): Promise<LocalMain> {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', main, '--workers', String(o.workers), '--cores', String(o.cores)],
      ...['--memory', o.memory, '--port', String(o.port), '--data-dir', o.dataDir],
      ...(o.args ?? []),
    ],
    { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const local: LocalMain = {
    process: child,
    lose: () => child.pid && process.kill(-child.pid, 'SIGKILL'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 120_000;
  while (!out.includes('sparkplane ready')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await local.stop();
      throw new Error(`npm start did not become ready:\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return local;
}
