// A local worker agent lost as a machine (an ECS task) is lost: the agent and every process
// it started, found by their working directory under the agent's work directory, SIGKILLed.
// The end-to-end tests and the benchmarks share it.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Live processes (zombies left out) working in `dir` or below it, with their directory. */
export function processesUnder(dir: string): { pid: number; cwd: string }[] {
  const found: { pid: number; cwd: string }[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const zombie = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
      if (!zombie && (cwd === dir || cwd.startsWith(`${dir}/`)))
        found.push({ pid: Number(pid), cwd });
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

export function loseLocalWorker(agent: ChildProcess | undefined, workDir: string): void {
  agent?.kill('SIGKILL');
  for (const { pid } of processesUnder(workDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
