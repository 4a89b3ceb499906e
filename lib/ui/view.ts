// What the master page shows (spec §i.2), computed from `/json` and the application route:
// pure functions, so the browser code only renders and the tests need no browser.

export interface WorkerJson {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly webuiaddress: string;
  readonly cores: number;
  readonly coresused: number;
  readonly memory: number;
  readonly memoryused: number;
  readonly resources: Record<string, { name: string; addresses: string[] }>;
  readonly resourcesused: Record<string, { name: string; addresses: string[] }>;
  readonly state: string;
  readonly lastheartbeat: number;
}

export interface ApplicationJson {
  readonly id: string;
  readonly starttime: number;
  readonly name: string;
  readonly cores: number;
  readonly user: string;
  readonly memoryperexecutor: number;
  readonly resourcesperexecutor: { name: string; amount: number }[];
  readonly submitdate: string;
  readonly state: string;
  readonly duration: number;
  /** The session (driver id) this application is the Connect server of. */
  readonly session?: string;
  /** Spark's warning: no worker could ever host one of its executors. */
  readonly warning?: string;
  readonly usage?: UsageJson;
}

/** What a run held (lib/core/usage.ts). */
export interface UsageJson {
  readonly coreSeconds: number;
  readonly memoryMibSeconds: number;
  readonly estimatedCostUsd?: number;
}

export interface DriverJson {
  readonly id: string;
  readonly starttime: string;
  readonly state: string;
  readonly cores: number;
  readonly memory: number;
  readonly resources: Record<string, { name: string; addresses: string[] }>;
  readonly submitdate: string;
  readonly worker: string;
  readonly mainclass: string;
  readonly session?: { readonly name?: string; readonly state: string; readonly url?: string };
  /** Why it ended (a timeout, an exception). */
  readonly message?: string;
  readonly usage?: UsageJson;
}

export interface MasterStateJson {
  readonly url: string;
  readonly workers: WorkerJson[];
  readonly aliveworkers: number;
  readonly cores: number;
  readonly coresused: number;
  readonly memory: number;
  readonly memoryused: number;
  readonly resources: Record<string, { name: string; addresses: string[] }>[];
  readonly resourcesused: Record<string, { name: string; addresses: string[] }>[];
  readonly activeapps: ApplicationJson[];
  readonly completedapps: ApplicationJson[];
  readonly activedrivers: DriverJson[];
  readonly completeddrivers: DriverJson[];
  readonly status: string;
}

/** `GET /v1/applications/{appId}` (PROTOCOL.md §3). */
export interface ApplicationDetail {
  readonly id: string;
  readonly name: string;
  readonly user: string;
  readonly state: string;
  readonly submitTimeMs: number;
  readonly endTimeMs?: number;
  readonly coresGranted: number;
  readonly coresRequested: number;
  readonly executorLimit: number;
  readonly retryCount: number;
  readonly executors: ExecutorDetail[];
}

export interface ExecutorDetail {
  readonly executorId: number;
  readonly workerId: string;
  readonly hostPort: string;
  readonly resourceProfileId: number;
  readonly cores: number;
  readonly memoryMb: number;
  readonly resources: Record<string, string[]>;
  readonly state: string;
  readonly exitStatus?: number;
  readonly message?: string;
}

const INT_MAX = 2_147_483_647;

/** Spark's `Utils.megabytesToString`: the largest unit that leaves at least 2 of it. */
export function formatMemory(megabytes: number): string {
  const bytes = megabytes * 1024 * 1024;
  const units: [string, number][] = [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ];
  for (const [unit, size] of units) {
    if (bytes >= 2 * size) return `${(bytes / size).toFixed(1)} ${unit}`;
  }
  return `${bytes} B`;
}

/** Spark's `UIUtils.formatDuration`. */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 1) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  const minutes = seconds / 60;
  if (minutes < 10) return `${minutes.toFixed(1)} min`;
  if (minutes < 60) return `${minutes.toFixed(0)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/** Core-hours and GiB-hours past an hour's worth, else core-seconds; the cost when known. */
export function formatUsage(u: UsageJson | undefined): string {
  if (!u) return '';
  const cores =
    u.coreSeconds >= 3600
      ? `${(u.coreSeconds / 3600).toFixed(1)} core-h`
      : `${u.coreSeconds.toFixed(0)} core-s`;
  const gib = u.memoryMibSeconds / 1024;
  const memory = gib >= 3600 ? `${(gib / 3600).toFixed(1)} GiB-h` : `${gib.toFixed(0)} GiB-s`;
  const cost = u.estimatedCostUsd === undefined ? '' : ` (~$${u.estimatedCostUsd.toFixed(4)})`;
  return `${cores}, ${memory}${cost}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Spark's `UIUtils.formatDate` (yyyy/MM/dd HH:mm:ss), in the viewer's time zone. */
export function formatDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `gpu: 0, 1` per resource, as Spark lists addresses. */
export function formatAddresses(
  resources: Record<string, { addresses: readonly string[] } | readonly string[]>,
): string {
  return Object.entries(resources)
    .map(([name, r]) => `${name}: ${[...('addresses' in r ? r.addresses : r)].join(', ')}`)
    .join('; ');
}

export const formatAmounts = (amounts: readonly { name: string; amount: number }[]): string =>
  amounts.map((a) => `${a.name}: ${a.amount}`).join(', ');

/** The summary list at the top of the master page. */
export function summary(state: MasterStateJson) {
  const count = <T>(items: readonly T[], pick: (t: T) => boolean) => items.filter(pick).length;
  const workerStates = (s: string) => count(state.workers, (w) => w.state === s);
  const completed = (s: string) => count(state.completeddrivers, (d) => d.state === s);
  const used: Record<string, number> = {};
  const total: Record<string, number> = {};
  for (const [list, into] of [
    [state.resources, total],
    [state.resourcesused, used],
  ] as const) {
    for (const worker of list) {
      for (const [name, r] of Object.entries(worker)) {
        into[name] = (into[name] ?? 0) + r.addresses.length;
      }
    }
  }
  return {
    workers: {
      alive: workerStates('ALIVE'),
      dead: workerStates('DEAD'),
      decommissioned: workerStates('DECOMMISSIONED'),
      unknown: workerStates('UNKNOWN'),
    },
    resources: Object.keys(total)
      .sort()
      .map((name) => ({ name, total: total[name] ?? 0, used: used[name] ?? 0 })),
    apps: { running: state.activeapps.length, completed: state.completedapps.length },
    drivers: {
      running: state.activedrivers.length,
      waiting: count(state.activedrivers, (d) => d.state === 'SUBMITTED'),
      completed: state.completeddrivers.length,
      killed: completed('KILLED'),
      failed: completed('FAILED'),
      error: completed('ERROR'),
      relaunching: count(state.activedrivers, (d) => d.state === 'RELAUNCHING'),
    },
  };
}

/** The page's tables in Spark's orders. */
export function tables(state: MasterStateJson) {
  const newestFirst = <T>(items: readonly T[], start: (t: T) => number) =>
    [...items].sort((a, b) => start(b) - start(a));
  return {
    workers: [...state.workers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    runningApps: newestFirst(state.activeapps, (a) => a.starttime),
    completedApps: newestFirst(state.completedapps, (a) => a.starttime + a.duration),
    runningDrivers: newestFirst(state.activedrivers, (d) => Number(d.starttime)),
    completedDrivers: newestFirst(state.completeddrivers, (d) => Number(d.starttime)),
    showResources: state.workers.some((w) =>
      Object.values(w.resourcesused).some((r) => r.addresses.length > 0),
    ),
  };
}

export const isKillableApp = (state: string) => state === 'RUNNING' || state === 'WAITING';
export const isKillableDriver = (state: string) =>
  state === 'RUNNING' || state === 'SUBMITTED' || state === 'RELAUNCHING';

/** The application page's Cores line. */
export function coresLine(app: Pick<ApplicationDetail, 'coresGranted' | 'coresRequested'>) {
  if (app.coresRequested >= INT_MAX) return `Unlimited (${app.coresGranted} granted)`;
  const left = Math.max(0, app.coresRequested - app.coresGranted);
  return `${app.coresRequested} (${app.coresGranted} granted, ${left} left)`;
}

export const executorLimitLine = (limit: number) =>
  limit >= INT_MAX ? 'Unlimited' : String(limit);

/** Live executors, then those removed (EXITED, KILLED, LOST, FAILED), each by id. */
export function executorTables(executors: readonly ExecutorDetail[]) {
  const live = (s: string) => s === 'LAUNCHING' || s === 'RUNNING';
  const byId = (a: ExecutorDetail, b: ExecutorDetail) => a.executorId - b.executorId;
  return {
    live: executors.filter((e) => live(e.state)).sort(byId),
    removed: executors.filter((e) => !live(e.state)).sort(byId),
  };
}
