// A local worker agent lost as a machine (an ECS task) is lost: the agent and every process
// it started, found by their working directory under the agent's work directory, SIGKILLed.
// The end-to-end tests and the benchmarks share it.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';

export function loseLocalWorker(agent: ChildProcess | undefined, workDir: string): void {
  agent?.kill('SIGKILL');
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === workDir || cwd.startsWith(`${workDir}/`)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already, or not ours to read
    }
  }
}
