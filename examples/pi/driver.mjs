// Spark Pi without Spark: the driver. A sparkplane worker runs it as
//   node examples/pi/driver.mjs [slices=10] [samplesPerSlice=200000]
// with SPARKPLANE_MASTER_URL, SPARKPLANE_TOKEN, SPARKPLANE_DRIVER_ID, SPARKPLANE_HOST and
// SPARKPLANE_SPARK_PROPERTIES in its environment. It registers an application whose
// executors run executor.mjs, hands them slices over HTTP, and prints Pi.
//
// The driver's task protocol (executor.mjs is its only client):
//   GET  /task?executor=<id>  -> 200 {slice, samples, seed}   a slice to compute
//                             -> 200 {wait: true}             nothing yet: ask again
//                             -> 204                          every slice is done: exit
//   POST /result {slice, inside, samples, executorId} -> 200 {accepted}
// A GET is held (long poll, up to 15 s) while no slice can be handed out, so executors
// do not exit while a slice may still have to be computed again (its executor died).
// Tasks are held back until executors with spark.scheduler.minRegisteredResourcesRatio
// (0.8) of spark.cores.max cores have asked for work, or for at most
// spark.scheduler.maxRegisteredResourcesWaitingTime (30s), as Spark's standalone
// scheduler does.
//
// Node 20 built-ins only.

import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const DEFAULT_NAME = 'Spark Pi (sparkplane example)';
const STALE_TASK_MS = 30_000;
const HOLD_MS = 15_000;
const WATCH_MS = 2_000;
const ENDED_STATES = new Set(['FINISHED', 'FAILED', 'KILLED']);

const log = (line) => process.stdout.write(`${line}\n`);
const warn = (line) => process.stderr.write(`${line}\n`);

// ---- configuration ------------------------------------------------------------------

function positiveInt(text, what, max = 2 ** 31 - 1) {
  if (!/^\d+$/.test(String(text).trim())) throw new Error(`${what} must be a positive integer`);
  const n = Number(String(text).trim());
  if (n < 1 || n > max) throw new Error(`${what} must be between 1 and ${max}, not ${text}`);
  return n;
}

/** Spark's memory strings (spark.executor.memory: no unit means MiB) in MiB, truncated. */
function memoryMb(text) {
  const m = /^(\d+)\s*(b|k|kb|m|mb|g|gb|t|tb|p|pb)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`spark.executor.memory must look like 512m or 1g, not ${text}`);
  const shift = { b: -20, k: -10, m: 0, g: 10, t: 20, p: 30 }[(m[2] ?? 'm')[0].toLowerCase()];
  const mb = Math.floor(Number(m[1]) * 2 ** shift);
  if (!Number.isSafeInteger(mb) || mb > 2 ** 31 - 1) throw new Error(`${text} is too large`);
  return mb;
}

/** Spark's time strings in ms (spark.scheduler.maxRegisteredResourcesWaitingTime: ms). */
function durationMs(text, what) {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`${what} must look like 30s or 500ms, not ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  return Number(m[1]) * unit[(m[2] ?? 'ms').toLowerCase()];
}

function readConfig(argv, env) {
  if (argv.length > 2) throw new Error('usage: driver.mjs [slices] [samplesPerSlice]');
  const slices = argv[0] === undefined ? 10 : positiveInt(argv[0], 'slices', 1_000_000);
  const samples = argv[1] === undefined ? 200_000 : positiveInt(argv[1], 'samplesPerSlice');
  const masterUrl = (env.SPARKPLANE_MASTER_URL ?? '').replace(/\/+$/, '');
  if (!masterUrl) throw new Error('SPARKPLANE_MASTER_URL is not set');
  let props = {};
  if (env.SPARKPLANE_SPARK_PROPERTIES) {
    props = JSON.parse(env.SPARKPLANE_SPARK_PROPERTIES);
    if (props === null || typeof props !== 'object' || Array.isArray(props)) {
      throw new Error('SPARKPLANE_SPARK_PROPERTIES must be a JSON object');
    }
  }
  const prop = (key) => (props[key] === undefined ? undefined : String(props[key]));
  const ratio = Number(prop('spark.scheduler.minRegisteredResourcesRatio') ?? '0.8');
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new Error('spark.scheduler.minRegisteredResourcesRatio must be between 0 and 1');
  }
  const maxCores = prop('spark.cores.max');
  return {
    slices,
    samples,
    masterUrl,
    token: env.SPARKPLANE_TOKEN || undefined,
    driverId: env.SPARKPLANE_DRIVER_ID || undefined,
    host: env.SPARKPLANE_HOST || '127.0.0.1',
    name: prop('spark.app.name') ?? DEFAULT_NAME,
    maxCores: maxCores === undefined ? undefined : positiveInt(maxCores, 'spark.cores.max'),
    executorCores: positiveInt(prop('spark.executor.cores') ?? '1', 'spark.executor.cores'),
    executorMemoryMb: memoryMb(prop('spark.executor.memory') ?? '512m'),
    failExecutors: prop('sparkplane.example.failExecutors') === 'true',
    minRegisteredRatio: ratio,
    maxRegisteredWaitMs: durationMs(
      prop('spark.scheduler.maxRegisteredResourcesWaitingTime') ?? '30s',
      'spark.scheduler.maxRegisteredResourcesWaitingTime',
    ),
  };
}

// ---- the master's application routes ---------------------------------------------------

function master(config) {
  const headers = { 'content-type': 'application/json' };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  return async (method, path, body, timeoutMs = 10_000) => {
    const response = await fetch(`${config.masterUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  };
}

// ---- the run ------------------------------------------------------------------------

let call; // the master's routes, once the configuration is read
let appId; // once registered
let ending = false; // an exit is under way: nothing else may start one
let unregistering;

/** DELETE /v1/applications/<appId> once (a few attempts); true when the master took it. */
function unregister(timeoutMs) {
  if (appId === undefined) return Promise.resolve(false);
  unregistering ??= (async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const r = await call('DELETE', `/v1/applications/${appId}`, undefined, timeoutMs);
        if (r.status === 200) return true;
        warn(`Unregistering ${appId} answered ${r.status}: ${r.text}`);
        if (r.status < 500) return false;
      } catch (e) {
        warn(`Unregistering ${appId} failed: ${e.message}`);
      }
    }
    return false;
  })();
  return unregistering;
}

function exit(code) {
  ending = true;
  process.exit(code);
}

/** Any unexpected error: say it, unregister (best effort), exit 1. */
function fail(error) {
  if (ending) return;
  ending = true;
  const cause = error?.cause?.message ? ` (${error.cause.message})` : '';
  warn(`Error: ${error?.stack ?? error}${cause}`);
  unregister(5_000).finally(() => process.exit(1));
}

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
]) {
  process.once(signal, () => {
    if (ending) return;
    ending = true;
    warn(`${signal}: unregistering and exiting`);
    unregister(3_000).finally(() => process.exit(code));
  });
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

async function main() {
  const config = readConfig(process.argv.slice(2), process.env);
  call = master(config);

  // Tasks.
  const pending = Array.from({ length: config.slices }, (_, i) => i); // never handed out
  const inFlight = new Map(); // slice -> {executorId, at}
  const results = new Map(); // slice -> {inside, samples, executorId}
  const executors = new Set(); // ids that asked for work
  const waiters = []; // held GET /task: {executorId, reply, since}
  const toldDone = new Set(); // executors answered 204
  let startedAt = Date.now();
  let ready = false;

  const enoughExecutors = () => {
    if (ready) return true;
    const registered = executors.size * config.executorCores;
    const expected = (config.maxCores ?? 0) * config.minRegisteredRatio;
    const waited = Date.now() - startedAt;
    if (registered >= expected || waited >= config.maxRegisteredWaitMs) {
      ready = true;
      log(
        `Scheduling ${config.slices} slices on ${executors.size} executor(s)` +
          (registered >= expected ? '' : ` after waiting ${waited} ms for more`),
      );
    }
    return ready;
  };

  const nextTask = (executorId) => {
    let slice = pending.shift();
    if (slice === undefined) {
      const now = Date.now();
      for (const [s, t] of inFlight) {
        if (now - t.at >= STALE_TASK_MS) {
          log(
            `Slice ${s} given to executor ${t.executorId} ${now - t.at} ms ago: handing it out again`,
          );
          slice = s;
          break;
        }
      }
    }
    if (slice === undefined) return undefined;
    inFlight.delete(slice); // re-inserted last: the Map stays oldest first
    inFlight.set(slice, { executorId, at: Date.now() });
    return { slice, samples: config.samples, seed: slice };
  };

  /** Answers the held GET /task requests that can be answered now. */
  const dispatch = () => {
    if (waiters.length === 0) return;
    const allDone = results.size === config.slices;
    const canSchedule = allDone || enoughExecutors();
    for (let i = 0; i < waiters.length; ) {
      const w = waiters[i];
      let answer;
      if (allDone) answer = null;
      else if (canSchedule) answer = nextTask(w.executorId);
      if (answer === undefined && Date.now() - w.since >= HOLD_MS) answer = { wait: true };
      if (answer === undefined) {
        i++;
        continue;
      }
      waiters.splice(i, 1);
      w.reply(answer);
    }
  };

  let finished;
  const allDone = new Promise((resolve) => {
    finished = resolve;
  });

  const server = createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://driver');
    if (req.method === 'GET' && url.pathname === '/task') {
      const executorId = url.searchParams.get('executor');
      if (!executorId || executorId.length > 64) {
        return send(400, { error: 'bad_request', message: 'executor=<id> is required' });
      }
      if (!executors.has(executorId)) {
        executors.add(executorId);
        log(`Executor ${executorId} joined from ${req.socket.remoteAddress}`);
      }
      const waiter = {
        executorId,
        since: Date.now(),
        reply: (task) => {
          if (task !== null) return send(200, task);
          toldDone.add(executorId);
          send(204);
        },
      };
      res.on('close', () => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
      });
      waiters.push(waiter);
      dispatch();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/result') {
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > 64 * 1024) req.destroy();
        else chunks.push(chunk);
      });
      req.on('end', () => {
        let r;
        try {
          r = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, { error: 'bad_request', message: 'the body is not JSON' });
        }
        const ok =
          r !== null &&
          typeof r === 'object' &&
          Number.isInteger(r.slice) &&
          r.slice >= 0 &&
          r.slice < config.slices &&
          r.samples === config.samples &&
          Number.isInteger(r.inside) &&
          r.inside >= 0 &&
          r.inside <= r.samples &&
          typeof r.executorId === 'string' &&
          r.executorId.length > 0 &&
          r.executorId.length <= 64;
        if (!ok) {
          return send(400, {
            error: 'bad_request',
            message: `expected {slice: 0..${config.slices - 1}, inside, samples: ${config.samples}, executorId}`,
          });
        }
        const accepted = !results.has(r.slice);
        if (accepted) {
          results.set(r.slice, { inside: r.inside, samples: r.samples, executorId: r.executorId });
          inFlight.delete(r.slice);
          // Remove it from pending too: a result may come from an executor whose task was
          // handed out again, or before it was handed out at all.
          const p = pending.indexOf(r.slice);
          if (p >= 0) pending.splice(p, 1);
        }
        send(200, { accepted });
        if (results.size === config.slices) finished();
        dispatch();
      });
      return;
    }
    send(404, { error: 'not_found', message: 'GET /task?executor=<id> or POST /result' });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '0.0.0.0', resolve);
  });
  const port = server.address().port;
  const host =
    config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const driverUrl = `http://${host}:${port}`;
  log(`Driver listening on ${driverUrl}`);

  // Register the application: executors run executor.mjs on the worker's Node.js. With the
  // test hook the executor command cannot start (Spark's backend on a Java that is not
  // there): Spark counts a launch that fails toward spark.deploy.maxExecutorRetries, while a
  // process that starts reports RUNNING first, which resets the count.
  const argv = [
    '{{NODE}}',
    fileURLToPath(new URL('./executor.mjs', import.meta.url)),
    '--driver-url',
    driverUrl,
    '--executor-id',
    '{{EXECUTOR_ID}}',
    '--cores',
    '{{CORES}}',
    '--app-id',
    '{{APP_ID}}',
  ];
  const registration = {
    name: config.name,
    user: process.env.USER ?? 'spark',
    ...(config.driverId === undefined ? {} : { driverId: config.driverId }),
    ...(config.maxCores === undefined ? {} : { maxCores: config.maxCores }),
    executor: { cores: config.executorCores, memoryMb: config.executorMemoryMb },
    command: config.failExecutors
      ? {
          java: { mainClass: 'org.apache.spark.executor.CoarseGrainedExecutorBackend' },
          env: { JAVA_HOME: '/nonexistent/java' },
        }
      : { argv, env: {} },
  };
  const registered = await call('POST', '/v1/applications', registration);
  if (registered.status !== 200 || typeof registered.json?.appId !== 'string') {
    throw new Error(
      `Registering the application answered ${registered.status}: ${registered.text}`,
    );
  }
  appId = registered.json.appId;
  startedAt = Date.now();
  log(`Registered application ${appId} (${config.name}) with ${config.masterUrl}`);
  if (config.failExecutors) log('sparkplane.example.failExecutors=true: executors cannot start');

  // Watch it: the master ends it (FAILED after too many executor failures, KILLED from
  // the UI) without telling the driver otherwise. The poll is the application's heartbeat.
  const seenExecutors = new Map();
  let watchTimer;
  const watch = async () => {
    try {
      const r = await call('POST', `/v1/applications/${appId}/heartbeat`, {}, 5_000);
      if (ending) return;
      if (r.status === 404) {
        warn(`Application ${appId} ended: the master no longer knows it`);
        return exit(1);
      }
      if (r.status === 200 && r.json) {
        for (const e of Array.isArray(r.json.executors) ? r.json.executors : []) {
          const line = `${e.state}${e.exitStatus === undefined ? '' : ` (exit ${e.exitStatus})`}`;
          if (seenExecutors.get(e.executorId) !== line) {
            seenExecutors.set(e.executorId, line);
            log(`Executor ${e.executorId} on ${e.hostPort ?? e.workerId}: ${line}`);
          }
        }
        if (ENDED_STATES.has(r.json.state)) {
          warn(`Application ${appId} ended ${r.json.state}`);
          return exit(1);
        }
      } else if (r.status !== 200) {
        warn(`Reading application ${appId} answered ${r.status}: ${r.text}`);
      }
    } catch (e) {
      if (!ending) warn(`Reading application ${appId} failed: ${e.message}`);
    }
    if (!ending) watchTimer = setTimeout(watch, WATCH_MS);
  };
  watchTimer = setTimeout(watch, WATCH_MS);
  const tick = setInterval(dispatch, 1_000);

  await allDone;
  if (ending) return;
  clearTimeout(watchTimer);
  clearInterval(tick);
  dispatch(); // 204 to every held request: the executors exit 0

  let inside = 0;
  let total = 0;
  const by = new Set();
  for (const r of results.values()) {
    inside += r.inside;
    total += r.samples;
    by.add(r.executorId);
  }
  const ids = [...by].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  log(`Pi is roughly ${((4 * inside) / total).toFixed(6)}`);
  log(`Computed by executors ${ids.join(',')} over ${config.slices} slices`);

  ending = true;
  if (await unregister(10_000)) log(`Unregistered application ${appId}`);
  else warn(`Could not unregister application ${appId}; the master may keep it running`);
  // An executor between its last result and its next GET would find no driver and exit 1:
  // answer it 204 for a little longer (the worker kills it anyway once the app is gone).
  const lingerUntil = Date.now() + 3_000;
  while (toldDone.size < executors.size && Date.now() < lingerUntil) {
    await new Promise((r) => setTimeout(r, 50));
  }
  server.close();
  server.closeAllConnections();
  process.exit(0);
}

main().catch(fail);
