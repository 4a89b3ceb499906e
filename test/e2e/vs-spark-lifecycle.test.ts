// Lifecycles side by side with Spark's own master: the same drivers and applications meet the
// same events on Spark 4.1.1's standalone cluster and on sparkplane, and what each master
// then shows must be the same: the states a driver passes through (REST status, polled),
// its final status answer, the application's final state, what the driver was told, what
// the workers hold afterwards.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientDriver } from '../harness/spark-submit.js';
import { fixture } from './cluster.js';
import {
  createDriver,
  driverStatus,
  killDriver,
  normalStatus,
  onBoth,
  type Side,
  type SideBySide,
  sideBySide,
  until,
  usage,
  watchDriver,
} from './side-by-side.js';

const TIMEOUT = 300_000;
const small = { cores: 2, memory: '2g' };

async function withBoth<T>(
  shapes: Parameters<typeof sideBySide>[0],
  master: Readonly<Record<string, string>>,
  run: (both: SideBySide) => Promise<T>,
): Promise<T> {
  const both = await sideBySide(shapes, master);
  try {
    return await run(both);
  } finally {
    await both.stop();
  }
}

/** A PySpark client of `jobs.py` on this side. */
const client = (side: Side, props: Record<string, string>, args: string[]) =>
  clientDriver(side.master, props, [...side.clientArgs, fixture('jobs.py'), ...args]);

/** The one application's id, once it has registered. */
const onlyApp = (side: Side) =>
  until(`an application on ${side.name}`, async () => (await side.json()).activeapps[0]?.id);

/** The final state of an application, once it is in the completed list. */
const completedApp = (side: Side, appId: string) =>
  until(
    `application ${appId} on ${side.name} to complete`,
    async () => (await side.json()).completedapps.find((a) => a.id === appId)?.state,
  );

/** How often the driver's worker started it: Spark's "Launch Command" header per launch. */
const launches = (side: Side, id: string) =>
  side
    .driverLog(id, 'stderr')
    .split('\n')
    .filter((l) => l.startsWith('Launch Command: ')).length;

describe("driver lifecycles against Spark's own master", () => {
  it(
    'a driver that exits 0 is FINISHED, one that exits 3 unsupervised is FAILED',
    async () => {
      const [spark, sparkplane] = await withBoth([small], {}, (both) =>
        onBoth(both, async (side) => {
          const watches = await Promise.all(
            ([0, 3] as const).map(async (code) =>
              watchDriver(side, await createDriver(side, [1, code])),
            ),
          );
          const finals = await Promise.all(watches.map((w) => w.ended));
          return {
            states: watches.map((w) => w.states()),
            finals: finals.map(normalStatus),
            workers: await usage(side),
          };
        }),
      );
      expect(sparkplane).toEqual(spark);
      expect(spark.states).toEqual([
        ['RUNNING', 'FINISHED'],
        ['RUNNING', 'FAILED'],
      ]);
    },
    TIMEOUT,
  );

  it(
    'a supervised driver that exits 3 is restarted by its worker, RUNNING throughout, until killed',
    async () => {
      const [spark, sparkplane] = await withBoth([small], {}, (both) =>
        onBoth(both, async (side) => {
          const id = await createDriver(side, [0, 3], { 'spark.driver.supervise': 'true' });
          const watch = watchDriver(side, id);
          // Launched at 0 s, then after 1 s and 2 s of back-off: three launches.
          await until(`three launches of ${id} on ${side.name}`, () =>
            launches(side, id) >= 3 ? true : undefined,
          );
          const running = normalStatus(await driverStatus(side, id));
          const kill = normalStatus(await killDriver(side, id));
          const final = normalStatus(await watch.ended);
          return { running, kill, final, states: watch.states(), workers: await usage(side) };
        }),
      );
      expect(sparkplane).toEqual(spark);
      expect(spark.states).toEqual(['RUNNING', 'KILLED']);
    },
    TIMEOUT,
  );
});

describe("application lifecycles against Spark's own master", () => {
  it(
    'an application killed from the UI: KILLED, its driver told so, its cores freed',
    async () => {
      const [spark, sparkplane] = await withBoth([small, small], {}, (both) =>
        onBoth(both, async (side) => {
          const run = client(side, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
            'slow',
            '400',
            '1',
          ]);
          try {
            const appId = await onlyApp(side);
            await until(`executors of ${appId} on ${side.name}`, async () =>
              (await side.json()).activeapps[0]?.cores === 2 ? true : undefined,
            );
            await side.killApplication(appId);
            const state = await completedApp(side, appId);
            const exit = await run.exit;
            return {
              state,
              exit,
              told: /Master removed our application: KILLED/.test(run.err()),
              workers: await until(`cores of ${appId} freed on ${side.name}`, async () => {
                const u = await usage(side);
                return u.every((w) => w[2] === 0) ? u : undefined;
              }),
            };
          } finally {
            if (run.child.exitCode === null) run.child.kill('SIGKILL');
          }
        }),
      );
      expect(sparkplane).toEqual(spark);
      expect(spark.state).toBe('KILLED');
      expect(spark.told).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'executors that cannot start (spark.executorEnv.JAVA_HOME is gone): FAILED after spark.deploy.maxExecutorRetries',
    async () => {
      const [spark, sparkplane] = await withBoth(
        [small, small],
        { 'spark.deploy.maxExecutorRetries': '2' },
        (both) =>
          onBoth(both, async (side) => {
            const run = client(
              side,
              {
                'spark.cores.max': '2',
                'spark.executor.cores': '1',
                'spark.executorEnv.JAVA_HOME': '/nonexistent/java',
              },
              ['slow', '2', '0'],
            );
            try {
              const appId = await onlyApp(side);
              const state = await completedApp(side, appId);
              await until(`the client on ${side.name} to see it`, () =>
                /Master removed our application: FAILED/.test(run.err()) ? true : undefined,
              );
              return { state, workers: await usage(side) };
            } finally {
              if (run.child.exitCode === null) run.child.kill('SIGKILL');
            }
          }),
      );
      expect(sparkplane).toEqual(spark);
      expect(spark.state).toBe('FAILED');
    },
    TIMEOUT,
  );
});

describe("worker loss against Spark's own master", () => {
  it(
    'a worker SIGKILLed: its executor replaced, its supervised driver RELAUNCHING and again under a new id',
    async () => {
      const go = mkdtempSync(join(tmpdir(), 'sparkplane-vs-loss-'));
      const shape = { cores: 4, memory: '4g' };
      const [spark, sparkplane] = await withBoth(
        [shape, shape],
        // sparkplane sees a lost worker by its missing heartbeats; Spark by its closed connection.
        { 'spark.worker.timeout': '5' },
        (both) =>
          onBoth(both, async (side) => {
            const driver = await createDriver(side, [600, 0], { 'spark.driver.supervise': 'true' });
            const run = client(side, { 'spark.cores.max': '2', 'spark.executor.cores': '1' }, [
              'hold',
              join(go, side.name),
            ]);
            try {
              await until(`the client on ${side.name} to hold its executors`, () =>
                run.out().includes('holding') ? true : undefined,
              );
              const placed = await driverStatus(side, driver);
              expect(placed.driverState, side.name).toBe('RUNNING');
              const before = await usage(side);
              side.loseWorker(placed.workerHostPort as string);
              const old = await watchDriver(side, driver).ended;
              const after = await until(`the replacements on ${side.name}`, async () => {
                const json = await side.json();
                const app = json.activeapps[0];
                const relaunched = json.activedrivers.filter((d) => d.state === 'RUNNING');
                return app?.cores === 2 && relaunched.length === 1
                  ? {
                      workers: json.workers.map((w) => w.state).sort(),
                      app: { state: app.state, cores: app.cores },
                      relaunchedUnderNewId: relaunched[0]?.id !== driver,
                      usage: await usage(side),
                    }
                  : undefined;
              });
              writeFileSync(join(go, side.name), '');
              return { before, old: normalStatus(old), after, exit: await run.exit };
            } finally {
              if (run.child.exitCode === null) run.child.kill('SIGKILL');
            }
          }),
      );
      expect(sparkplane).toEqual(spark);
      expect(spark.old.driverState).toBe('RELAUNCHING');
      expect(spark.after).toMatchObject({
        workers: ['ALIVE', 'DEAD'],
        relaunchedUnderNewId: true,
        usage: [[4, 4096, 3, 1536]],
      });
    },
    TIMEOUT,
  );
});
