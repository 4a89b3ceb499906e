// sparkplane side by side with Spark's own master. The REST protocol: Spark 4.1.1's Master (REST
// server on, no workers, so drivers stay SUBMITTED) and sparkplane's control plane (no
// workers) get the same requests in the same order — Spark's REST vectors from ../shared,
// then a few more — and their answers are compared body for body after normalising only
// driver ids. Where sparkplane differs on purpose, INTENDED_DIFFERENCES names the request
// and the kind of difference, and the test checks that the difference is exactly that.
// Placements: the same PySpark client on both, and the cores and memory each worker gives it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginJar, sparkHome } from '../../lib/local/spark.js';
import { type SparkStandalone, startSparkStandalone } from '../harness/spark-standalone.js';
import { clientDriver } from '../harness/spark-submit.js';
import { repoRoot } from '../paths.js';
import { type Cluster, fixture, startCluster } from './cluster.js';

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
}

// Two workers of 2 cores and 2 GiB on each side; a PySpark client outside the cluster runs a
// job on its executors and holds them while both masters' /json are read.
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
];

/** A PySpark client: `jobs.py hold`, until `go` exists. */
function holdingClient(master: string, props: Record<string, string>, jars: string[], go: string) {
  const run = clientDriver(master, props, [...jars, fixture('jobs.py'), 'hold', go]);
  return { ...run, holding: () => run.out().includes('holding') };
}

/** What each worker gives the application, as [cores, memory] sorted: worker ids differ. */
async function usage(jsonUrl: string): Promise<number[][]> {
  const json = (await (await fetch(jsonUrl)).json()) as {
    workers: { coresused: number; memoryused: number; state: string }[];
  };
  return json.workers
    .filter((w) => w.state === 'ALIVE')
    .map((w) => [w.coresused, w.memoryused])
    .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
}

describe("placements against Spark's own master", () => {
  for (const p of placements) {
    it(p.name, async () => {
      const shape = { cores: 2, memory: '2g' };
      const [theirs, ours] = await Promise.all([
        startSparkStandalone({
          sparkHome: sparkHome(),
          workers: [shape, shape],
          masterProperties: p.master,
        }),
        startCluster({ workers: 2, ...shape, spark: true, sparkProperties: { ...p.master } }),
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'sparkplane-vs-'));
      const clients = [
        holdingClient(theirs.masterUrl, { ...p.app }, [], join(dir, 'spark')),
        holdingClient(
          `sparkplane://${new URL(ours.url).host}`,
          { ...p.app },
          ['--jars', pluginJar],
          join(dir, 'sparkplane'),
        ),
      ];
      try {
        await ours.until(
          'both jobs to run',
          async () => (clients.every((c) => c.holding()) ? true : undefined),
          150_000,
        );
        const [spark, sparkplane] = await Promise.all([
          usage(`${theirs.uiUrl}/json/`),
          usage(`${ours.url}/json`),
        ]);
        expect(sparkplane).toEqual(spark);
        writeFileSync(join(dir, 'spark'), '');
        writeFileSync(join(dir, 'sparkplane'), '');
        expect(await Promise.all(clients.map((c) => c.exit))).toEqual([0, 0]);
      } finally {
        for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGKILL');
        await Promise.all([theirs.stop(), ours.stop()]);
      }
    }, 240_000);
  }
});
