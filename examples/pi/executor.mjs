// Spark Pi without Spark: the executor. The worker agent starts it with the argv the
// driver registered, placeholders replaced:
//   node executor.mjs --driver-url URL --executor-id N --cores C --app-id A
// It asks the driver for slices (GET /task), counts how many of the slice's points fall
// in the unit circle and posts the count (POST /result). Like a Spark executor it runs
// until the master kills it when the application ends; it exits 0 on its own only once the
// driver has said there is nothing left (204) and then gone away, 1 when the driver has
// been unreachable for 10 s mid-work. Node 20 built-ins only.

const UNREACHABLE_MS = 10_000;
const RETRY_MS = 500;

const log = (line) => process.stdout.write(`${line}\n`);
const warn = (line) => process.stderr.write(`${line}\n`);

function parseArgs(argv) {
  const args = {};
  const names = {
    '--driver-url': 'driverUrl',
    '--executor-id': 'executorId',
    '--cores': 'cores',
    '--app-id': 'appId',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag in names && argv[i + 1] !== undefined) args[names[flag]] = argv[++i];
    else throw new Error(`unexpected argument ${flag}`);
  }
  for (const [flag, name] of Object.entries(names)) {
    if (!args[name]) throw new Error(`${flag} is required`);
  }
  args.driverUrl = args.driverUrl.replace(/\/+$/, '');
  return args;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of `samples` points uniform in [-1, 1)² fall in the unit circle (SparkPi). */
function countInside(samples, seed) {
  const random = mulberry32(seed);
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = random() * 2 - 1;
    const y = random() * 2 - 1;
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls the driver until it answers; exits 1 once it has not for UNREACHABLE_MS. */
async function reach(what, request) {
  const since = Date.now();
  for (;;) {
    try {
      const response = await request();
      if (response.status < 500) return response;
      warn(`${what}: the driver answered ${response.status}`);
    } catch (e) {
      if (Date.now() - since < 1_000) warn(`${what}: ${e.cause?.code ?? e.message}; retrying`);
    }
    if (Date.now() - since >= UNREACHABLE_MS) {
      warn(`The driver has been unreachable for ${UNREACHABLE_MS / 1000} s: exiting`);
      process.exit(1);
    }
    await sleep(RETRY_MS);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const me = `Executor ${args.executorId} of ${args.appId}`;
  log(`${me} started with ${args.cores} core(s); driver ${args.driverUrl}`);
  const taskUrl = `${args.driverUrl}/task?executor=${encodeURIComponent(args.executorId)}`;
  let done = 0;
  for (;;) {
    // The driver holds this request while it has nothing to hand out (up to 15 s).
    const response = await reach('GET /task', () =>
      fetch(taskUrl, { signal: AbortSignal.timeout(30_000) }),
    );
    if (response.status === 204) {
      // All slices are done: wait for the kill, as Spark executors do, and leave if the
      // driver is gone without one.
      log(`${me}: no slices left after ${done}; waiting for the application to end`);
      await idleUntilDriverGone(taskUrl);
      return;
    }
    if (response.status !== 200) {
      throw new Error(`GET /task answered ${response.status}: ${await response.text()}`);
    }
    const task = await response.json();
    if (task.wait) continue;
    const inside = countInside(task.samples, task.seed);
    const body = JSON.stringify({
      slice: task.slice,
      inside,
      samples: task.samples,
      executorId: args.executorId,
    });
    const posted = await reach('POST /result', () =>
      fetch(`${args.driverUrl}/result`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      }),
    );
    if (posted.status !== 200) {
      throw new Error(`POST /result answered ${posted.status}: ${await posted.text()}`);
    }
    await posted.body?.cancel();
    done++;
    log(`${me}: slice ${task.slice}: ${inside} of ${task.samples} inside`);
  }
}

async function idleUntilDriverGone(taskUrl) {
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      await (await fetch(taskUrl, { signal: AbortSignal.timeout(5000) })).body?.cancel();
    } catch {
      return;
    }
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    warn(`Error: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
