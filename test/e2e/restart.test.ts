// `npm start` killed as a machine dies, then started again on its --data-dir: nothing of
// the first run survives it (emulators, agents, drivers share its fate), and the second run
// takes over its state as Spark's master recovering does (the old workers UNKNOWN, replaced
// by the new agents at their addresses; a supervised driver relaunched under a new id).
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalMain, startLocalMain } from '../harness/local-main.js';
import { processesUnder } from '../harness/lose-worker.js';
import { freePort } from '../harness/spark-standalone.js';
import { createRequest } from '../harness/spark-submit.js';
import { fixture, until } from './cluster.js';

const stacks: LocalMain[] = [];

afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.stop()));
});

/** `npm start` with two workers of 2 cores on its --data-dir. */
async function start(dataDir: string, port: number): Promise<LocalMain> {
  const stack = await startLocalMain({ dataDir, port, workers: 2, cores: 2, memory: '1g' });
  stacks.push(stack);
  return stack;
}

/** Every process descended from `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after its last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

describe.runIf(process.platform === 'linux')('npm start killed and started again', () => {
  it('SIGKILL leaves no process; the restart takes over the workers and relaunches the supervised driver', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkplane-restart-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const json = async (path: string, init?: RequestInit) =>
      (await (await fetch(`${url}${path}`, init)).json()) as Record<string, unknown>;
    const create = (props: Record<string, string>) =>
      json('/v1/submissions/create', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(createRequest(fixture('sleep.mjs'), { props })),
      });

    const first = await start(dataDir, port);
    // What it writes is its user's alone: the table's files, the logs, the cluster's address.
    for (const path of ['dynamodb', 'logs', 'local.json']) {
      expect(statSync(join(dataDir, path)).mode & 0o077, path).toBe(0);
    }
    const driver = String((await create({ 'spark.driver.supervise': 'true' })).submissionId);
    await until('the driver to run', async () =>
      (await json(`/v1/submissions/status/${driver}`)).driverState === 'RUNNING' ? true : undefined,
    );
    const before = (await json('/json')).workers as { id: string }[];
    const processes = descendants(first.process.pid as number);
    // The stack, two emulators, two agents and the driver at least.
    expect(processes.length).toBeGreaterThanOrEqual(5);

    first.lose();
    await until('every process of the first run to end', () =>
      processes.every((p) => !alive(p)) ? true : undefined,
    );

    await start(dataDir, port);
    // Ready means the new agents registered, not that the old entries are still there.
    const after = (await json('/json')) as {
      aliveworkers: number;
      workers: { id: string; state: string }[];
      activedrivers: { id: string; state: string }[];
    };
    expect(after.aliveworkers).toBe(2);
    expect(
      after.workers.filter((w) => before.some((b) => b.id === w.id)).map((w) => w.state),
    ).toEqual(['DEAD', 'DEAD']);
    expect((await json(`/v1/submissions/status/${driver}`)).driverState).toBe('RELAUNCHING');
    // A bound for a loaded machine: the new agents, a pass and a Node.js driver's start.
    const relaunched = await until(
      'the relaunched driver to run',
      async () => {
        const { activedrivers } = (await json('/json')) as typeof after;
        return activedrivers.find((d) => d.id !== driver && d.state === 'RUNNING');
      },
      90_000,
    );
    expect(relaunched.id).not.toBe(driver);
    const next = String((await create({})).submissionId);
    await until('a new driver to run', async () =>
      (await json(`/v1/submissions/status/${next}`)).driverState === 'RUNNING' ? true : undefined,
    );
  }, 300_000);

  it('killed in the middle of a large placement: after the restart every live executor has one process, none two', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkplane-restart-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const call = async (path: string, init?: RequestInit) =>
      (await (await fetch(`${url}${path}`, init)).json()) as Record<string, unknown>;
    const post = (path: string, body: unknown = {}) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const executors = 40;
    const options = { dataDir, port, workers: 2, cores: 20, memory: '4g' };
    const stack = await startLocalMain(options);
    stacks.push(stack);
    const { appId } = await post('/v1/applications', {
      name: 'large',
      maxCores: executors,
      executor: { cores: 1, memoryMb: 64 },
      command: { argv: ['{{NODE}}', fixture('sleep.mjs')], env: {} },
    });
    // The driver, outside the stack: it keeps renewing the application's lease throughout.
    let renewing = true;
    const renew = (async () => {
      while (renewing) {
        await post(`/v1/applications/${appId}/heartbeat`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    try {
      await until('the placement to begin', async () => {
        const app = await call(`/v1/applications/${appId}`);
        const list = app.executors as { state: string }[];
        return list.length > 0 && list.some((e) => e.state !== 'RUNNING') ? true : undefined;
      });
      stack.lose();
      await new Promise((r) => setTimeout(r, 500));
      stacks.push(await startLocalMain(options));
      // Bounded: the new agents' registrations and their first heartbeats.
      await until(
        'every live executor to run as one process',
        async () => {
          const app = (await call(`/v1/applications/${appId}`)) as {
            state: string;
            executors: { executorId: number; state: string }[];
          };
          expect(app.state).not.toBe('FINISHED');
          const live = app.executors.filter(
            (e) => e.state === 'LAUNCHING' || e.state === 'RUNNING',
          );
          const counts = new Map<number, number>();
          for (const { cwd } of processesUnder(dataDir)) {
            const m = new RegExp(`/${appId}/(\\d+)$`).exec(cwd);
            if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
          }
          expect([...counts.values()].every((n) => n === 1)).toBe(true);
          const settled =
            live.length === executors &&
            live.every((e) => e.state === 'RUNNING' && counts.get(e.executorId) === 1) &&
            counts.size === executors;
          return settled ? true : undefined;
        },
        60_000,
      );
    } finally {
      renewing = false;
      await renew;
    }
  }, 300_000);
});
