// `sparkplane`, the command line of the HTTP API (bin/sparkplane.js): submit drivers as
// spark-submit does in cluster mode, follow them, read their logs, list what the master
// knows. The I/O shell: requests and output are built by requests.ts and format.ts.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { Argument, Command, CommanderError, InvalidArgumentError } from 'commander';
import { type Api, connect } from './api.js';
import { DEFAULT_URL, profilesPath, resolveTarget, type TargetFlags } from './config.js';
import { CliError, usageError } from './errors.js';
import {
  type ApplicationSummary,
  applicationsTable,
  type DriverSummary,
  driversTable,
  outcome,
  progressLine,
  type SessionView,
  type SubmissionStatus,
  sessionsTable,
  statusText,
  type WorkerJson,
  workersTable,
} from './format.js';
import {
  createSubmissionRequest,
  type ListedKind,
  listQueries,
  listRoute,
  logRoute,
  parseConf,
} from './requests.js';

interface Context {
  readonly api: Api;
  readonly json: boolean;
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`${text}\n`);
/** One JSON document with --json, else the text for people. */
const emit = (ctx: Context, value: unknown, text: () => string) => {
  print(ctx.json ? JSON.stringify(value, null, 2) : text());
};
/** Written before the next page is asked for: a slow reader slows the reading. */
const writer = (out: NodeJS.WriteStream) => (bytes: Uint8Array) =>
  new Promise<void>((resolve, reject) => out.write(bytes, (e) => (e ? reject(e) : resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function context(command: Command): Promise<Context> {
  const flags = command.optsWithGlobals<TargetFlags & { json?: boolean }>();
  const path = profilesPath(process.env, homedir());
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw usageError(`cannot read ${path}: ${e.message}`);
  });
  return {
    api: connect(resolveTarget(flags, process.env, { path, text })),
    json: flags.json === true,
  };
}

/** A command's action, given its context first. */
function action<A extends unknown[]>(run: (ctx: Context, ...args: A) => Promise<void>) {
  return async (...params: unknown[]) => {
    const command = params.at(-1) as Command;
    await run(await context(command), ...(params.slice(0, -1) as A));
  };
}

const wholeNumber = (min: number) => (value: string) => {
  if (!/^\d{1,15}$/.test(value) || Number(value) < min) {
    throw new InvalidArgumentError(`expected a whole number, ${min} or more`);
  }
  return Number(value);
};

async function driverStatus(api: Api, driverId: string): Promise<SubmissionStatus> {
  const s = await api.json<SubmissionStatus>(
    'GET',
    `/v1/submissions/status/${encodeURIComponent(driverId)}`,
  );
  // Spark's answer for an unknown driver: success false, no state.
  if (!s.success) throw new CliError(`no driver ${driverId}${s.message ? `: ${s.message}` : ''}`);
  return s;
}

/** Polls the status every second, a line on stderr per change, until the driver ended. */
async function waitForDriver(api: Api, driverId: string): Promise<SubmissionStatus> {
  let last: SubmissionStatus | undefined;
  for (;;) {
    const s = await driverStatus(api, driverId);
    const line = progressLine(last, s);
    if (line) note(line);
    if (outcome(s)) return s;
    last = s;
    await sleep(1000);
  }
}

interface SubmitFlags {
  readonly class?: string;
  readonly name?: string;
  readonly conf?: string[];
  readonly supervise?: boolean;
  readonly wait?: boolean;
  readonly logs?: boolean;
}

async function submit(ctx: Context, app: string, args: string[], o: SubmitFlags) {
  if (o.logs && ctx.json) {
    throw usageError("--logs prints the driver's output, which --json cannot hold");
  }
  const request = createSubmissionRequest({
    appResource: app,
    appArgs: args,
    mainClass: o.class,
    name: o.name,
    conf: parseConf(o.conf ?? []),
    supervise: o.supervise === true,
    apiUrl: ctx.api.url,
    cwd: process.cwd(),
  });
  const created = await ctx.api.json<{
    success?: boolean;
    submissionId?: string;
    message?: string;
  }>('POST', '/v1/submissions/create', request);
  const driverId = created.submissionId;
  if (!created.success || !driverId) {
    throw new CliError(created.message ?? 'the submission was refused');
  }
  if (!o.wait && !o.logs) return emit(ctx, created, () => driverId);
  // With --logs, stdout is the driver's: its id is in the progress lines on stderr.
  if (!o.logs && !ctx.json) print(driverId);
  const streams = o.logs ? (['stdout', 'stderr'] as const) : [];
  const [final] = await Promise.all([
    waitForDriver(ctx.api, driverId),
    ...streams.map((s) => ctx.api.readLog(logRoute(driverId, s), 0, true, writer(process[s]))),
  ]);
  if (ctx.json) print(JSON.stringify(final, null, 2));
  const end = outcome(final);
  if (end?.exitCode === 1) throw new CliError(end.message);
}

interface ListFlags {
  readonly state?: string;
  readonly limit: number;
  readonly all?: boolean;
}

async function list(ctx: Context, what: 'drivers' | 'apps' | undefined, o: ListFlags) {
  const kinds: ListedKind[] = what
    ? [what === 'apps' ? 'applications' : 'drivers']
    : ['drivers', 'applications'];
  const listed: { drivers?: DriverSummary[]; applications?: ApplicationSummary[] } = {};
  for (const { kind, states } of listQueries(kinds, (o.state ?? '').split(','))) {
    const items: (DriverSummary & ApplicationSummary)[] = [];
    let cursor: string | undefined;
    do {
      const page = await ctx.api.json<Record<string, unknown> & { cursor?: string }>(
        'GET',
        listRoute(kind, states, o.all ? 1000 : Math.min(1000, o.limit - items.length), cursor),
      );
      items.push(...((page[kind] ?? []) as typeof items));
      cursor = page.cursor;
    } while (cursor !== undefined && (o.all || items.length < o.limit));
    listed[kind] = items;
    if (cursor !== undefined && !ctx.json) note(`(the newest ${o.limit} ${kind}: --all lists all)`);
  }
  emit(ctx, listed, () =>
    [
      ...(listed.drivers ? [driversTable(listed.drivers)] : []),
      ...(listed.applications ? [applicationsTable(listed.applications)] : []),
    ].join('\n\n'),
  );
}

async function killed(ctx: Context, route: string) {
  const r = await ctx.api.json<{ success: boolean; message: string }>('POST', route);
  if (!r.success) throw new CliError(r.message);
  emit(ctx, r, () => r.message);
}

const program = new Command('sparkplane')
  .description(
    "Spark's standalone master as a serverless control plane: submit drivers, follow them, read their logs",
  )
  .option('--url <url>', `the API (default: $SPARKPLANE_URL, the profile's, ${DEFAULT_URL})`)
  .option('--token <jws>', "the bearer token (default: $SPARKPLANE_TOKEN, the profile's)")
  .option(
    '--profile <name>',
    'a profile of $SPARKPLANE_CONFIG or ~/.config/sparkplane/profiles.json (default: $SPARKPLANE_PROFILE, "default")',
  )
  .option('--json', 'print one JSON document')
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'sparkplane: ')) });

program
  .command('submit')
  .description(
    'submit a driver, as spark-submit --deploy-mode cluster does through the REST server',
  )
  .argument('<app>', 'the application: a .jar (with --class), .py, .js or .mjs file, or a URI')
  .argument('[args...]', "its arguments (after --, those that look like sparkplane's options)")
  .option('--class <mainClass>', "the application's main class")
  .option('--name <name>', 'spark.app.name (default: the main class given, else the file name)')
  .option('--conf <key=value>', 'a Spark property, repeatable', (v, all: string[] = []) => [
    ...all,
    v,
  ])
  .option('--supervise', 'relaunch the driver when its worker is lost (spark.driver.supervise)')
  .option('--wait', 'follow the driver; exit 0 when it FINISHED, 1 otherwise')
  .option('--logs', "print the driver's stdout and stderr while it runs (implies --wait)")
  // The application's own options, after its file, are its arguments.
  .allowUnknownOption()
  .action(action(submit));

program
  .command('status')
  .description("a driver's state and worker (Spark's REST status)")
  .argument('<driverId>')
  .action(
    action(async (ctx, driverId: string) => {
      const s = await driverStatus(ctx.api, driverId);
      emit(ctx, s, () => statusText(s));
    }),
  );

program
  .command('kill')
  .description('kill a driver')
  .argument('<driverId>')
  .action(
    action((ctx, driverId: string) =>
      killed(ctx, `/v1/submissions/kill/${encodeURIComponent(driverId)}`),
    ),
  );

program
  .command('killall')
  .description('kill every driver')
  .action(action((ctx) => killed(ctx, '/v1/submissions/killall')));

program
  .command('list')
  .description('drivers and applications, newest first')
  .addArgument(new Argument('[what]', 'only these').choices(['drivers', 'apps']))
  .option('--state <states>', 'only these states, comma-separated (RUNNING,WAITING)')
  .option('--limit <n>', 'the newest n of each', wholeNumber(1), 20)
  .option('--all', 'every one the master retains')
  .action(action(list));

program
  .command('logs')
  .description("a driver's or an executor's stdout (or stderr), as it was written")
  .argument('<id>', 'a driver (driver-…) or an executor (<appId>/<executorId>)')
  .option('--stderr', 'stderr instead of stdout')
  .option('-f, --follow', 'wait for more until the process ended')
  .option('--from <byte>', 'start at this byte', wholeNumber(0), 0)
  .action(
    action(async (ctx, id: string, o: { stderr?: boolean; follow?: boolean; from: number }) => {
      if (ctx.json) throw usageError('logs writes the bytes as they are; --json does not apply');
      await ctx.api.readLog(
        logRoute(id, o.stderr ? 'stderr' : 'stdout'),
        o.from,
        o.follow === true,
        writer(process.stdout),
      );
    }),
  );

program
  .command('workers')
  .description("the workers, from the master's /json")
  .action(
    action(async (ctx) => {
      const { workers } = await ctx.api.json<{ workers: WorkerJson[] }>('GET', '/json');
      emit(ctx, { workers }, () => workersTable(workers));
    }),
  );

program
  .command('sessions')
  .description('Spark Connect sessions')
  .action(
    action(async (ctx) => {
      const answer = await ctx.api.json<{ sessions: SessionView[] }>('GET', '/v1/sessions');
      emit(ctx, answer, () => sessionsTable(answer.sessions));
    }),
  );

// `| head` closes stdout early: that ends the command, quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

try {
  await program.parseAsync();
} catch (e) {
  // Commander printed its own message (or the help, exit code 0).
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
  else {
    note(`sparkplane: ${e instanceof CliError ? e.message : (e as Error).message}`);
    // A --logs stream may still be polling: stop it.
    process.exit(e instanceof CliError ? e.exitCode : 1);
  }
}
