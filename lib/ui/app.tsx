/// <reference lib="dom" />
// The master web UI in the browser (spec §i.2): the master page at `/` and the application
// page at `app/?appId=…`, read from `/json` and the application route, refreshed while
// open, and the log page at `/?driverId=…&logType=…` (or `?appId=…&executorId=…`), as
// Spark's worker serves it, followed while the process runs. With auth on, a submission
// token is asked for once and kept for the tab's session.
import { render } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { LogOwner, LogStream } from '../core/logs.js';
import {
  appendRead,
  type LogShown,
  type LogTarget,
  logApiPath,
  logPageQuery,
  logPageTitle,
  logReadOf,
  NOTHING_SHOWN,
  parseLogPageQuery,
} from './logs.js';
import {
  type ApplicationDetail,
  type ApplicationJson,
  coresLine,
  type DriverJson,
  type ExecutorDetail,
  executorLimitLine,
  executorTables,
  formatAddresses,
  formatAmounts,
  formatDate,
  formatDuration,
  formatMemory,
  formatUsage,
  isKillableApp,
  isKillableDriver,
  type MasterStateJson,
  summary,
  tables,
  type WorkerJson,
} from './view.js';

const REFRESH_MS = 5_000;
/** One read of a log; once a read comes back short, the next waits for more (follow). */
const LOG_PAGE_BYTES = 64 * 1024;
/** Read on by itself this far, then ask: a long log is not all loaded into the tab at once. */
const LOG_LOAD_BYTES = 1024 * 1024;
/** Within the route's 25 s bound (MAX_FOLLOW_SEC in lib/api/logs.ts). */
const LOG_FOLLOW_SEC = 20;
const TOKEN_KEY = 'sparkplane.token';
/** Where the API is: the page is served at its root and at `app/`. */
const base = location.pathname.replace(/app\/?$/, '');
const appPage = (appId: string) => `${base}app/?appId=${encodeURIComponent(appId)}`;

class TokenNeeded extends Error {}

/** An API error: its status, and the message of its JSON body. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A call with the tab's token; an error status is thrown. */
async function request(path: string, accept: string, init: RequestInit = {}): Promise<Response> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(base + path, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), accept },
  });
  if (response.status === 401 || response.status === 403) throw new TokenNeeded();
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new Refused(response.status, body.message ?? `${response.status} ${response.statusText}`);
  }
  return response;
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, 'application/json', init);
  return (await response.json().catch(() => ({}))) as T;
}

/** Reads `load` now and every REFRESH_MS while the tab is visible. */
function usePolled<T>(load: () => Promise<T>) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [updated, setUpdated] = useState<Date>();
  const refresh = useCallback(async () => {
    try {
      setData(await load());
      setError(undefined);
      setUpdated(new Date());
    } catch (e) {
      setError(e);
    }
  }, [load]);
  useEffect(() => {
    refresh();
    const timer = setInterval(() => document.hidden || refresh(), REFRESH_MS);
    const onVisible = () => document.hidden || refresh();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);
  return { data, error, updated, refresh };
}

function TokenPrompt({ onToken }: { onToken: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, value.trim());
        onToken();
      }}
    >
      <p>
        This master needs a submission token (a JWS signed with the submission key, as for{' '}
        <code>Authorization: Bearer</code>). It is kept for this tab only.
      </p>
      <input
        type="password"
        aria-label="Token"
        placeholder="eyJhbGciOi…"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit">Use token</button>
    </form>
  );
}

function Status({
  error,
  updated,
  onToken,
}: {
  error: unknown;
  updated: Date | undefined;
  onToken: () => void;
}) {
  if (error instanceof TokenNeeded) return <TokenPrompt onToken={onToken} />;
  return (
    <p class="status">
      {error ? (
        <span class="error">Cannot refresh: {String((error as Error).message)}. </span>
      ) : null}
      {updated
        ? `Updated ${updated.toLocaleTimeString()}, every ${REFRESH_MS / 1000} s.`
        : 'Loading…'}
      {sessionStorage.getItem(TOKEN_KEY) ? (
        <button
          type="button"
          class="link"
          onClick={() => {
            sessionStorage.removeItem(TOKEN_KEY);
            onToken();
          }}
        >
          Forget token
        </button>
      ) : null}
    </p>
  );
}

async function killApplication(id: string, done: () => void) {
  if (!confirm(`Are you sure you want to kill application ${id} ?`)) return;
  try {
    await call(`v1/applications/${encodeURIComponent(id)}/kill`, { method: 'POST' });
  } catch (e) {
    alert(`Could not kill ${id}: ${(e as Error).message}`);
  }
  done();
}

async function killDriver(id: string, done: () => void) {
  if (!confirm(`Are you sure you want to kill driver ${id} ?`)) return;
  try {
    const reply = await call<{ success: boolean; message?: string }>(
      `v1/submissions/kill/${encodeURIComponent(id)}`,
      { method: 'POST' },
    );
    if (!reply.success) alert(reply.message ?? `Could not kill ${id}`);
  } catch (e) {
    alert(`Could not kill ${id}: ${(e as Error).message}`);
  }
  done();
}

const Kill = ({ onKill }: { onKill: () => void }) => (
  <button type="button" class="link kill" onClick={onKill}>
    (kill)
  </button>
);

function WorkerLink({ worker, id }: { worker: WorkerJson | undefined; id: string }) {
  if (worker?.state === 'ALIVE' && worker.webuiaddress) {
    return <a href={worker.webuiaddress}>{id}</a>;
  }
  return <>{id}</>;
}

/** A process's `stdout` and `stderr` on the log page, as Spark's worker page links them. */
function LogLinks({ owner }: { owner: LogOwner }) {
  const href = (logType: LogStream) => base + logPageQuery({ owner, logType });
  return (
    <>
      <a href={href('stdout')}>stdout</a> <a href={href('stderr')}>stderr</a>
    </>
  );
}

function Workers({ workers, showResources }: { workers: WorkerJson[]; showResources: boolean }) {
  return (
    <table id="workers">
      <thead>
        <tr>
          <th>Worker Id</th>
          <th>Address</th>
          <th>State</th>
          <th>Cores</th>
          <th>Memory</th>
          {showResources ? <th>Resources</th> : null}
        </tr>
      </thead>
      <tbody>
        {workers.map((w) => (
          <tr key={w.id}>
            <td>
              <WorkerLink worker={w} id={w.id} />
            </td>
            <td>{`${w.host}:${w.port}`}</td>
            <td>{w.state}</td>
            <td>{`${w.cores} (${w.coresused} Used)`}</td>
            <td>{`${formatMemory(w.memory)} (${formatMemory(w.memoryused)} Used)`}</td>
            {showResources ? <td>{formatAddresses(w.resourcesused)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Applications(props: { id: string; apps: ApplicationJson[]; refresh: () => void }) {
  return (
    <table id={props.id}>
      <thead>
        <tr>
          <th>Application ID</th>
          <th>Name</th>
          <th>Cores</th>
          <th>Memory per Executor</th>
          <th>Resources Per Executor</th>
          <th>Submitted Time</th>
          <th>User</th>
          <th>State</th>
          <th>Duration</th>
          <th>Usage</th>
        </tr>
      </thead>
      <tbody>
        {props.apps.map((a) => (
          <tr key={a.id}>
            <td>
              <a href={appPage(a.id)}>{a.id}</a>{' '}
              {isKillableApp(a.state) ? (
                <Kill onKill={() => killApplication(a.id, props.refresh)} />
              ) : null}
            </td>
            <td>
              {a.name}
              {a.session ? <span class="session"> (Spark Connect session)</span> : null}
            </td>
            <td>{a.cores}</td>
            <td>{formatMemory(a.memoryperexecutor)}</td>
            <td>{formatAmounts(a.resourcesperexecutor)}</td>
            <td>{formatDate(a.starttime)}</td>
            <td>{a.user}</td>
            <td>
              {a.state}
              {a.warning ? <div class="message">{a.warning}</div> : null}
            </td>
            <td>{formatDuration(a.duration)}</td>
            <td>{formatUsage(a.usage)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Drivers(props: {
  id: string;
  drivers: DriverJson[];
  workers: Map<string, WorkerJson>;
  running: boolean;
  now: number;
  refresh: () => void;
}) {
  return (
    <table id={props.id}>
      <thead>
        <tr>
          <th>Submission ID</th>
          <th>Submitted Time</th>
          <th>Worker</th>
          <th>State</th>
          <th>Cores</th>
          <th>Memory</th>
          <th>Resources</th>
          <th>Main Class</th>
          {props.running ? <th>Duration</th> : null}
          <th>Usage</th>
          <th>Logs</th>
        </tr>
      </thead>
      <tbody>
        {props.drivers.map((d) => (
          <tr key={d.id}>
            <td>
              {d.id}{' '}
              {isKillableDriver(d.state) ? (
                <Kill onKill={() => killDriver(d.id, props.refresh)} />
              ) : null}
            </td>
            <td>{formatDate(Number(d.starttime))}</td>
            <td>
              <WorkerLink worker={props.workers.get(d.worker)} id={d.worker} />
            </td>
            <td>
              {d.state}
              {d.message ? <div class="message">{d.message}</div> : null}
            </td>
            <td>{d.cores}</td>
            <td>{formatMemory(d.memory)}</td>
            <td>{formatAddresses(d.resources)}</td>
            <td>
              {d.session ? (
                <span class="session">
                  Spark Connect session{d.session.name ? ` ${d.session.name}` : ''}:{' '}
                  {d.session.state}
                  {d.session.url ? ` at ${d.session.url}` : ''}
                </span>
              ) : (
                d.mainclass
              )}
            </td>
            {props.running ? <td>{formatDuration(props.now - Number(d.starttime))}</td> : null}
            <td>{formatUsage(d.usage)}</td>
            <td>
              <LogLinks owner={{ kind: 'driver', driverId: d.id }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const loadState = () => call<MasterStateJson>('json');

function MasterPage() {
  const { data, error, updated, refresh } = usePolled(loadState);
  useEffect(() => {
    if (data) document.title = `Spark Master at ${data.url}`;
  }, [data]);
  const status = <Status error={error} updated={updated} onToken={refresh} />;
  if (!data) return status;
  const s = summary(data);
  const t = tables(data);
  const workers = new Map(data.workers.map((w) => [w.id, w]));
  const anyDriver = t.runningDrivers.length + t.completedDrivers.length > 0;
  return (
    <>
      <h1>Spark Master at {data.url}</h1>
      {status}
      <ul class="summary">
        <li>
          <strong>URL:</strong> {data.url}
        </li>
        <li>
          <strong>REST URL:</strong> {data.url} <em>(cluster mode)</em>
        </li>
        <li id="worker-counts">
          <strong>Workers:</strong>{' '}
          {`${s.workers.alive} Alive, ${s.workers.dead} Dead, ${s.workers.decommissioned} Decommissioned, ${s.workers.unknown} Unknown`}
        </li>
        <li>
          <strong>Cores in use:</strong> {`${data.cores} Total, ${data.coresused} Used`}
        </li>
        <li>
          <strong>Memory in use:</strong>{' '}
          {`${formatMemory(data.memory)} Total, ${formatMemory(data.memoryused)} Used`}
        </li>
        {s.resources.length > 0 ? (
          <li>
            <strong>Resources in use:</strong>{' '}
            {s.resources.map((r) => `${r.used} / ${r.total} ${r.name}`).join(', ')}
          </li>
        ) : null}
        <li>
          <strong>Applications:</strong>{' '}
          {`${s.apps.running} Running, ${s.apps.completed} Completed`}
        </li>
        <li>
          <strong>Drivers:</strong>{' '}
          {`${s.drivers.running} Running (${s.drivers.waiting} Waiting), ${s.drivers.completed} Completed (${s.drivers.killed} Killed, ${s.drivers.failed} Failed, ${s.drivers.error} Error, ${s.drivers.relaunching} Relaunching)`}
        </li>
        <li>
          <strong>Status:</strong> {data.status}
        </li>
      </ul>
      <h2>Workers ({t.workers.length})</h2>
      <Workers workers={t.workers} showResources={t.showResources} />
      <h2>Running Applications ({t.runningApps.length})</h2>
      <Applications id="running-apps" apps={t.runningApps} refresh={refresh} />
      <h2>Completed Applications ({t.completedApps.length})</h2>
      <Applications id="completed-apps" apps={t.completedApps} refresh={refresh} />
      {anyDriver ? (
        <>
          <h2>Running Drivers ({t.runningDrivers.length})</h2>
          <Drivers
            id="running-drivers"
            drivers={t.runningDrivers}
            workers={workers}
            running
            now={updated?.getTime() ?? Date.now()}
            refresh={refresh}
          />
          <h2>Completed Drivers ({t.completedDrivers.length})</h2>
          <Drivers
            id="completed-drivers"
            drivers={t.completedDrivers}
            workers={workers}
            running={false}
            now={updated?.getTime() ?? Date.now()}
            refresh={refresh}
          />
        </>
      ) : null}
    </>
  );
}

function Executors({
  id,
  appId,
  executors,
}: {
  id: string;
  appId: string;
  executors: ExecutorDetail[];
}) {
  return (
    <table id={id}>
      <thead>
        <tr>
          <th>ExecutorID</th>
          <th>Worker</th>
          <th>Cores</th>
          <th>Memory</th>
          <th>Resource Profile Id</th>
          <th>Resources</th>
          <th>State</th>
          <th>Logs</th>
        </tr>
      </thead>
      <tbody>
        {executors.map((e) => (
          <tr key={e.executorId}>
            <td>{e.executorId}</td>
            <td>{`${e.workerId} (${e.hostPort})`}</td>
            <td>{e.cores}</td>
            <td>{formatMemory(e.memoryMb)}</td>
            <td>{e.resourceProfileId}</td>
            <td>{formatAddresses(e.resources)}</td>
            <td title={e.message ?? ''}>
              {e.exitStatus === undefined ? e.state : `${e.state} (exit ${e.exitStatus})`}
            </td>
            <td>
              <LogLinks owner={{ kind: 'executor', appId, executorId: e.executorId }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ApplicationPage({ appId }: { appId: string }) {
  const load = useCallback(async () => {
    const [state, app] = await Promise.all([
      loadState(),
      call<ApplicationDetail>(`v1/applications/${encodeURIComponent(appId)}`),
    ]);
    const listed = [...state.activeapps, ...state.completedapps].find((a) => a.id === appId);
    return { app, listed };
  }, [appId]);
  const { data, error, updated, refresh } = usePolled(load);
  useEffect(() => {
    document.title = `Application: ${data?.app.name ?? appId}`;
  }, [data, appId]);
  const back = <a href={base}>Back to Master</a>;
  const status = <Status error={error} updated={updated} onToken={refresh} />;
  if (!data) {
    return (
      <>
        <h1>Application: {appId}</h1>
        {back}
        {status}
      </>
    );
  }
  const { app, listed } = data;
  const executors = executorTables(app.executors);
  return (
    <>
      <h1>Application: {app.name}</h1>
      {back}
      {status}
      <ul class="summary">
        <li>
          <strong>ID:</strong> {app.id}{' '}
          {isKillableApp(app.state) ? (
            <Kill onKill={() => killApplication(app.id, refresh)} />
          ) : null}
        </li>
        <li>
          <strong>Name:</strong> {app.name}
        </li>
        <li>
          <strong>User:</strong> {app.user}
        </li>
        <li>
          <strong>Cores:</strong> {coresLine(app)}
        </li>
        <li>
          <strong>Executor Limit:</strong> {executorLimitLine(app.executorLimit)} (
          {executors.live.length} granted)
        </li>
        {listed ? (
          <>
            <li>
              <strong>Executor Memory:</strong> {formatMemory(listed.memoryperexecutor)}
            </li>
            {listed.resourcesperexecutor.length > 0 ? (
              <li>
                <strong>Executor Resources:</strong> {formatAmounts(listed.resourcesperexecutor)}
              </li>
            ) : null}
          </>
        ) : null}
        <li>
          <strong>Submit Date:</strong> {formatDate(app.submitTimeMs)}
        </li>
        <li id="app-state">
          <strong>State:</strong> {app.state}
        </li>
      </ul>
      <h2>Executor Summary ({executors.live.length})</h2>
      <Executors id="executors" appId={app.id} executors={executors.live} />
      {executors.removed.length > 0 ? (
        <>
          <h2>Removed Executors ({executors.removed.length})</h2>
          <Executors id="removed-executors" appId={app.id} executors={executors.removed} />
        </>
      ) : null}
    </>
  );
}

type LogPhase = 'reading' | 'following' | 'paused' | 'complete';

const PHASE_WORDS: Record<LogPhase, string> = {
  reading: 'loading…',
  following: 'following…',
  paused: 'paused',
  complete: 'complete',
};

/** No such driver or executor, or a malformed id: asking again will not help. */
const isFinal = (e: unknown) => e instanceof Refused && e.status < 500;

/** Reads a log from byte 0 a page at a time, then follows it until it is complete. */
function useLog(target: LogTarget) {
  const path = logApiPath(target);
  const [shown, setShown] = useState<LogShown>(NOTHING_SHOWN);
  const [phase, setPhase] = useState<LogPhase>('reading');
  const [error, setError] = useState<unknown>();
  // Ends a wait: "Load More" clicked, a token given, the page left.
  const resume = useRef(() => {});
  useEffect(() => {
    const left = new AbortController();
    const decoder = new TextDecoder();
    const wait = (ms?: number) =>
      new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
        resume.current = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    (async () => {
      let state = NOTHING_SHOWN;
      let caughtUp = false;
      let loaded = 0;
      while (!left.signal.aborted) {
        if (!caughtUp && loaded >= LOG_LOAD_BYTES) {
          setPhase('paused');
          await wait();
          loaded = 0;
          continue;
        }
        setPhase(caughtUp ? 'following' : 'reading');
        const follow = caughtUp ? `&follow=true&waitSec=${LOG_FOLLOW_SEC}` : '';
        try {
          const response = await request(
            `${path}?from=${state.next}&size=${LOG_PAGE_BYTES}${follow}`,
            'text/plain',
            { signal: left.signal },
          );
          const read = logReadOf(response.headers, new Uint8Array(await response.arrayBuffer()));
          state = appendRead(state, read, decoder);
          caughtUp = read.bytes.length < LOG_PAGE_BYTES;
          loaded += read.bytes.length;
          setShown(state);
          setError(undefined);
          if (state.complete) {
            setPhase('complete');
            return;
          }
        } catch (e) {
          if (left.signal.aborted) return;
          setError(e);
          if (isFinal(e)) return;
          await wait(e instanceof TokenNeeded ? undefined : REFRESH_MS);
        }
      }
    })();
    return () => {
      left.abort();
      resume.current();
    };
  }, [path]);
  const more = () => {
    setError(undefined);
    resume.current();
  };
  return { shown, phase, error, more };
}

function LogPage({ target }: { target: LogTarget }) {
  const { shown, phase, error, more } = useLog(target);
  const title = logPageTitle(target);
  useEffect(() => {
    document.title = title;
  }, [title]);
  // Kept at the end as text comes, unless scrolled away from it.
  const pre = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    if (pre.current && atEnd.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [shown.text]);
  const { owner } = target;
  return (
    <>
      <h1>{title}</h1>
      <p>
        <a href={base}>Back to Master</a>
        {owner.kind === 'executor' ? (
          <>
            {' · '}
            <a href={appPage(owner.appId)}>Application {owner.appId}</a>
          </>
        ) : null}
        {' · '}
        <LogLinks owner={owner} />
      </p>
      {error instanceof TokenNeeded ? <TokenPrompt onToken={more} /> : null}
      <p class="status" id="log-status">
        {shown.first === undefined
          ? null
          : `Showing bytes ${shown.first} - ${shown.next}${shown.first > 0 ? ` (those before ${shown.first} are no longer kept)` : ''}, `}
        {!error || error instanceof TokenNeeded ? (
          PHASE_WORDS[phase]
        ) : (
          <span class="error">
            {isFinal(error)
              ? (error as Error).message
              : `cannot read the log: ${(error as Error).message}. Trying again every ${REFRESH_MS / 1000} s.`}
          </span>
        )}
      </p>
      <pre
        ref={pre}
        class="log"
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 4;
        }}
      >
        {shown.text}
      </pre>
      {phase === 'paused' ? (
        <button type="button" onClick={more}>
          Load More
        </button>
      ) : null}
    </>
  );
}

function Page() {
  const log = parseLogPageQuery(location.search);
  if (log) return <LogPage target={log} />;
  const appId = new URLSearchParams(location.search).get('appId');
  return /\/app\/?$/.test(location.pathname) && appId ? (
    <ApplicationPage appId={appId} />
  ) : (
    <MasterPage />
  );
}

render(<Page />, document.getElementById('root') as HTMLElement);
