// sparkplane side by side with Spark's own master. The REST protocol: Spark 4.1.1's Master (REST
// server on, no workers, so drivers stay SUBMITTED) and sparkplane's control plane (no
// workers) get the same requests in the same order — Spark's REST vectors from ../shared,
// then a few more — and their answers are compared body for body after normalising only
// driver ids. Where sparkplane differs on purpose, INTENDED_DIFFERENCES names the request
// and the kind of difference, and the test checks that the difference is exactly that.
// Placements: the same PySpark client on both, and the cores and memory each worker gives it;
// the same drivers on both, and where they run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sparkHome } from '../../lib/local/spark.js';
import { type SparkStandalone, startSparkStandalone } from '../harness/spark-standalone.js';
import { clientDriver } from '../harness/spark-submit.js';
import { repoRoot } from '../paths.js';
import { type Cluster, fixture, startCluster } from './cluster.js';
import {
  createDriver,
  driverStatus,
  normalStatus,
  onBoth,
  type Side,
  sideBySide,
  until,
  usage,
  type WorkerShape,
} from './side-by-side.js';

interface Request {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body: string | null;
}

type Difference = 'stack-trace' | 'json-syntax' | 'error-page';

/**
 * Every difference from Spark's master, by request (README, "Spark's REST protocol"):
 * - stack-trace: a malformed request's message keeps Spark's first lines; in place of the
 *   Java stack trace comes at most one `Caused by:` line naming the field;
 * - json-syntax: a body that is not JSON gets the same 400 ErrorResponse naming a Jackson
 *   exception, but the parse error's wording and position are sparkplane's parser's;
 * - error-page: where Spark answers with Jetty's HTML error page (a wrong method, 405; an
 *   unknown action, 500) sparkplane answers an ErrorResponse (405; 400).
 */
const INTENDED_DIFFERENCES: Readonly<Record<string, Difference>> = {
  'create: malformed JSON (truncated)': 'json-syntax',
  'create: empty body': 'stack-trace',
  'create: whitespace body': 'stack-trace',
  'create: JSON that is not an object': 'stack-trace',
  'create: missing appResource': 'stack-trace',
  'create: missing mainClass': 'stack-trace',
  'create: non-numeric spark.driver.cores': 'stack-trace',
  'create: GET (wrong method)': 'error-page',
  'create: an action no servlet knows': 'error-page',
};

// biome-ignore lint/suspicious/noTemplateCurlyInString: the REST vectors' own placeholder
const ID = '${submissionId}';

const vectors = (
  JSON.parse(
    readFileSync(
      process.env.SPARK_REST_VECTORS ??
        resolve(repoRoot, '../shared/spark-cases/rest-vectors.json'),
      'utf8',
    ),
  ) as (Request & { precondition: string })[]
).filter((v) => !v.precondition.startsWith('spark.master.rest.filters'));

const docsCreate = vectors.find((v) => v.name === 'create: docs Spark Pi example')?.body ?? '';
const createWith = (change: (body: Record<string, unknown>) => void) => {
  const body = JSON.parse(docsCreate) as Record<string, unknown>;
  change(body);
  return JSON.stringify(body);
};
const json = { 'Content-Type': 'application/json' };
const more: Request[] = [
  {
    name: 'create: unknown fields are listed back',
    method: 'POST',
    path: '/v1/submissions/create',
    headers: json,
    body: createWith((b) => {
      b.colour = 'blue';
      b.extra = 1;
    }),
  },
  {
    name: 'create: a {{PLACEHOLDER}} in a property',
    method: 'POST',
    path: '/v1/submissions/create',
    headers: json,
    body: createWith((b) => {
      (b.sparkProperties as Record<string, string>)['spark.driver.extraJavaOptions'] =
        '-Dx={{HOME}}';
    }),
  },
  {
    name: 'create: whitespace body',
    method: 'POST',
    path: '/v1/submissions/create',
    headers: json,
    body: '\n',
  },
  { name: 'create: GET (wrong method)', method: 'GET', path: '/v1/submissions/create', body: null },
  {
    name: 'create: an action no servlet knows',
    method: 'POST',
    path: '/v1/submissions/create',
    headers: json,
    body: createWith((b) => {
      b.action = 'LaunchTheRockets';
    }),
  },
  {
    name: 'status of a killed driver',
    method: 'GET',
    path: `/v1/submissions/status/${ID}`,
    body: null,
  },
  {
    name: 'kill a killed driver',
    method: 'POST',
    path: `/v1/submissions/kill/${ID}`,
    body: null,
  },
  {
    name: 'killall with nothing to kill',
    method: 'POST',
    path: '/v1/submissions/killall',
    body: null,
  },
];

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json?: { action?: string; message?: string };
}

const normalise = (text: string) => text.replace(/driver-\d{14}-\d{4,}/g, 'driver-<id>');

/** The kind of difference between Spark's answer and sparkplane's, or undefined if none. */
function difference(spark: Answer, ours: Answer): Difference | 'unexplained' | undefined {
  if (spark.status === ours.status && normalise(spark.text) === normalise(ours.text))
    return undefined;
  const s = spark.json?.message;
  const o = ours.json?.message;
  if (
    spark.status === 400 &&
    ours.status === 400 &&
    s &&
    o &&
    spark.json?.action === 'ErrorResponse'
  ) {
    // Spark's message: the exception, then its frames, each on a line starting with a tab.
    const head = s.split('\n\t')[0] as string;
    const [ourHead, ...rest] = o.split('\n\t');
    const sameRest =
      normalise(JSON.stringify({ ...spark.json, message: '' })) ===
      normalise(JSON.stringify({ ...ours.json, message: '' }));
    if (
      sameRest &&
      ourHead === head &&
      rest.length <= 1 &&
      rest.every((l) => l.startsWith('Caused by: '))
    ) {
      return 'stack-trace';
    }
    if (
      sameRest &&
      /^Malformed request: com\.fasterxml\.jackson\.core\.(io\.JsonEOFException|JsonParseException): /.test(
        head,
      ) &&
      o.startsWith('Malformed request: com.fasterxml.jackson.core.JsonParseException: ')
    ) {
      return 'json-syntax';
    }
  }
  if (/<html/i.test(spark.text) && ours.json?.action === 'ErrorResponse' && ours.status < 500) {
    return 'error-page';
  }
  return 'unexplained';
}

let spark: SparkStandalone;
let c: Cluster;

beforeAll(async () => {
  [spark, c] = await Promise.all([
    startSparkStandalone({ sparkHome: sparkHome() }),
    startCluster({ workers: 0 }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([spark?.stop(), c?.stop()]);
});

describe("Spark's REST protocol against Spark's own master", () => {
  it('answers every request as Spark does, but for the intended differences', async () => {
    const ids: Record<'spark' | 'sparkplane', string | undefined> = {
      spark: undefined,
      sparkplane: undefined,
    };
    const seen: Record<string, Difference | 'unexplained'> = {};
    const report: string[] = [];
    for (const r of [...vectors, ...more]) {
      const answers: Answer[] = [];
      for (const [side, base] of [
        ['spark', spark.restUrl],
        ['sparkplane', c.url],
      ] as const) {
        const response = await fetch(base + r.path.replace(ID, ids[side] ?? 'none'), {
          method: r.method,
          headers: r.headers ?? {},
          ...(r.body === null ? {} : { body: r.body }),
        });
        const text = await response.text();
        let parsed: Answer['json'];
        try {
          parsed = JSON.parse(text) as Answer['json'];
        } catch {
          parsed = undefined;
        }
        ids[side] ??= /"submissionId" : "(driver-[^"]+)"/.exec(text)?.[1];
        answers.push({ status: response.status, text, ...(parsed ? { json: parsed } : {}) });
      }
      const kind = difference(answers[0] as Answer, answers[1] as Answer);
      if (kind) {
        seen[r.name] = kind;
        if (kind !== INTENDED_DIFFERENCES[r.name]) {
          report.push(
            `${r.name}: ${kind}\nSpark ${answers[0]?.status}: ${answers[0]?.text.slice(0, 600)}\nsparkplane ${answers[1]?.status}: ${answers[1]?.text}`,
          );
        }
      }
    }
    expect(report.join('\n\n')).toBe('');
    expect(seen).toEqual(INTENDED_DIFFERENCES);
    expect(ids.spark).toBeDefined();
  }, 120_000);
});

interface Placement {
  readonly name: string;
  /** Master properties, on both sides. */
  readonly master: Readonly<Record<string, string>>;
  /** The application's properties. */
  readonly app: Readonly<Record<string, string>>;
  /** The cores the application gets in all, so that no placement passes by being empty. */
  readonly cores: number;
  /** The workers (two of 2 cores and 2 GiB when not given). */
  readonly workers?: readonly WorkerShape[];
}

const small = { cores: 2, memory: '2g' };
// Four cores and little memory beside two cores and much: every policy picks differently.
const uneven = [
  { cores: 4, memory: '2g' },
  { cores: 2, memory: '4g' },
];
const byPolicy = (policy: string): Placement => ({
  name: `consolidated, spark.deploy.workerSelectionPolicy=${policy}, spark.cores.max=3`,
  master: { 'spark.deploy.spreadOutApps': 'false', 'spark.deploy.workerSelectionPolicy': policy },
  app: { 'spark.cores.max': '3', 'spark.executor.cores': '1' },
  cores: 3,
  workers: uneven,
});

// A PySpark client outside the cluster runs a job on its executors and holds them while both
// masters' /json are read.
const placements: readonly Placement[] = [
  {
    name: 'spread out, 1-core executors, spark.cores.max=2',
    master: { 'spark.deploy.spreadOutApps': 'true' },
    app: { 'spark.cores.max': '2', 'spark.executor.cores': '1' },
    cores: 2,
  },
  {
    name: 'consolidated, 1-core executors, spark.cores.max=2',
    master: { 'spark.deploy.spreadOutApps': 'false' },
    app: { 'spark.cores.max': '2', 'spark.executor.cores': '1' },
    cores: 2,
  },
  {
    name: 'spread out, spark.executor.cores unset, spark.cores.max=3',
    master: { 'spark.deploy.spreadOutApps': 'true' },
    app: { 'spark.cores.max': '3' },
    cores: 3,
  },
  {
    name: 'executor memory that fits once per worker, spark.deploy.defaultCores=4',
    master: { 'spark.deploy.defaultCores': '4' },
    app: { 'spark.executor.cores': '1', 'spark.executor.memory': '1200m' },
    cores: 2,
  },
  {
    name: 'executor memory that fits no worker: the application waits with nothing',
    master: {},
    app: { 'spark.executor.memory': '3g' },
    cores: 0,
  },
  byPolicy('CORES_FREE_DESC'),
  byPolicy('CORES_FREE_ASC'),
  byPolicy('MEMORY_FREE_DESC'),
  byPolicy('MEMORY_FREE_ASC'),
];

/** A PySpark client: `jobs.py hold`, until `go` exists. */
function holdingClient(side: Side, props: Record<string, string>, go: string) {
  const run = clientDriver(side.master, props, [
    ...side.clientArgs,
    fixture('jobs.py'),
    'hold',
    go,
  ]);
  return { ...run, holding: () => run.out().includes('holding') };
}

const apps = async (side: Side) =>
  (await side.json()).activeapps.map((a) => ({ state: a.state, cores: a.cores }));

describe("placements against Spark's own master", () => {
  for (const p of placements) {
    it(p.name, async () => {
      const both = await sideBySide(p.workers ?? [small, small], p.master);
      const dir = mkdtempSync(join(tmpdir(), 'sparkplane-vs-'));
      const clients = both.sides.map((side) =>
        holdingClient(side, { ...p.app }, join(dir, side.name)),
      );
      try {
        if (p.cores > 0) {
          await until('both jobs to run', () =>
            clients.every((c) => c.holding()) ? true : undefined,
          );
        } else {
          // Nothing can be placed: both registered, then time for a (wrong) placement to show.
          await until('both applications to register', async () =>
            (await Promise.all(both.sides.map(apps))).every((a) => a.length === 1)
              ? true
              : undefined,
          );
          await new Promise((r) => setTimeout(r, 3000));
        }
        const [spark, sparkplane] = await onBoth(both, async (side) => ({
          workers: await usage(side),
          apps: await apps(side),
        }));
        expect(sparkplane).toEqual(spark);
        expect(spark.apps).toEqual([
          { state: p.cores > 0 ? 'RUNNING' : 'WAITING', cores: p.cores },
        ]);
        if (p.cores > 0) {
          for (const side of both.sides) writeFileSync(join(dir, side.name), '');
          expect(await Promise.all(clients.map((c) => c.exit))).toEqual([0, 0]);
        }
      } finally {
        for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGKILL');
        await both.stop();
      }
    }, 240_000);
  }
});

interface DriverPlacement {
  readonly name: string;
  readonly master: Readonly<Record<string, string>>;
  /** How many of the three drivers run. */
  readonly running: number;
  /**
   * Whether where each driver runs is determined. Spark's master shuffles the workers anew in
   * every scheduling pass, and each create is a pass of its own, so spread-out drivers land
   * on workers at random on both; only what they use in all can be compared.
   */
  readonly random?: true;
}

// Three workers of 3 cores; three drivers of 1 core and 512 MiB, each living until killed.
const driverPlacements: readonly DriverPlacement[] = [
  { name: 'drivers spread out over equal workers', master: {}, running: 3, random: true },
  {
    name: 'drivers on one worker, spark.deploy.spreadOutDrivers=false',
    master: { 'spark.deploy.spreadOutDrivers': 'false' },
    running: 3,
  },
  {
    name: 'spark.deploy.maxDrivers=2: the third driver waits',
    master: { 'spark.deploy.spreadOutDrivers': 'false', 'spark.deploy.maxDrivers': '2' },
    running: 2,
  },
];

/** What the workers use in all, [cores, memory]. */
const total = (workers: number[][]): [number, number] => [
  workers.reduce((n, w) => n + (w[2] as number), 0),
  workers.reduce((n, w) => n + (w[3] as number), 0),
];

describe("driver placements against Spark's own master", () => {
  for (const p of driverPlacements) {
    it(`${p.name}; killall kills them all`, async () => {
      const shape = { cores: 3, memory: '2g' };
      const both = await sideBySide([shape, shape, shape], p.master);
      try {
        const [spark, sparkplane] = await onBoth(both, async (side) => {
          const ids: string[] = [];
          for (let i = 0; i < 3; i++) ids.push(await createDriver(side, [600, 0]));
          const states = async () =>
            (await Promise.all(ids.map((id) => driverStatus(side, id))))
              .map((s) => s.driverState)
              .sort();
          const placed = await until(`${p.running} drivers on ${side.name} to run`, async () => {
            const now = await states();
            return now.filter((s) => s === 'RUNNING').length === p.running ? now : undefined;
          });
          const workers = p.random ? total(await usage(side)) : await usage(side);
          const killall = normalStatus(
            (await (
              await fetch(`${side.restUrl}/v1/submissions/killall`, { method: 'POST' })
            ).json()) as Record<string, unknown>,
          );
          const killed = await until(`the drivers on ${side.name} to be killed`, async () => {
            const now = await states();
            return now.every((s) => s === 'KILLED') ? now : undefined;
          });
          return { placed, workers, killall, killed, after: await usage(side) };
        });
        expect(sparkplane).toEqual(spark);
        expect(spark.placed.filter((s) => s === 'RUNNING')).toHaveLength(p.running);
      } finally {
        await both.stop();
      }
    }, 240_000);
  }
});
