// The log page (Spark's worker `logPage/`), without the browser: where a driver's or an
// executor's stdout and stderr are read and linked, and the text shown from reads of them.
import { LOG_STREAMS, type LogOwner, type LogStream, logRoute } from '../core/logs.js';

export interface LogTarget {
  readonly owner: LogOwner;
  readonly logType: LogStream;
}

/** Spark's log page query: `?driverId=…&logType=…` or `?appId=…&executorId=…&logType=…`. */
export function logPageQuery({ owner, logType }: LogTarget): string {
  const query =
    owner.kind === 'driver'
      ? new URLSearchParams({ driverId: owner.driverId, logType })
      : new URLSearchParams({ appId: owner.appId, executorId: String(owner.executorId), logType });
  return `?${query}`;
}

/** The log page a query names, if it names one. */
export function parseLogPageQuery(search: string): LogTarget | undefined {
  const query = new URLSearchParams(search);
  const logType = LOG_STREAMS.find((s) => s === query.get('logType'));
  if (!logType) return undefined;
  const driverId = query.get('driverId');
  if (driverId) return { owner: { kind: 'driver', driverId }, logType };
  const appId = query.get('appId');
  const executorId = query.get('executorId') ?? '';
  if (!appId || !/^\d+$/.test(executorId)) return undefined;
  return { owner: { kind: 'executor', appId, executorId: Number(executorId) }, logType };
}

/** The log route, relative to the API's root. */
export const logApiPath = ({ owner, logType }: LogTarget): string =>
  logRoute(owner, logType).slice(1);

/** Spark's `LogPage` title. */
export const logPageTitle = ({ owner, logType }: LogTarget): string =>
  `${logType} log page for ${owner.kind === 'driver' ? owner.driverId : `${owner.appId}/${owner.executorId}`}`;

/** One read of the log route: its `x-log-*` headers and its bytes. */
export interface LogRead {
  readonly from: number;
  readonly next: number;
  readonly complete: boolean;
  readonly bytes: Uint8Array;
}

export const logReadOf = (headers: Headers, bytes: Uint8Array): LogRead => ({
  from: Number(headers.get('x-log-from')),
  next: Number(headers.get('x-log-next')),
  complete: headers.get('x-log-complete') === 'true',
  bytes,
});

/** What the page shows of a log: its text from byte `first` to byte `next`. */
export interface LogShown {
  /** The first byte shown, once a read returned; past 0 when the oldest bytes were dropped. */
  readonly first?: number;
  readonly next: number;
  readonly text: string;
  readonly complete: boolean;
}

export const NOTHING_SHOWN: LogShown = { next: 0, text: '', complete: false };

/**
 * `shown` with `read` appended. `decoder` carries a character split between reads over to
 * the next; a read that skips bytes (dropped by the store's bound while this page lagged)
 * says so in the text.
 */
export function appendRead(shown: LogShown, read: LogRead, decoder: TextDecoder): LogShown {
  let text = shown.text;
  if (shown.first !== undefined && read.from > shown.next) {
    text += decoder.decode();
    text += `${text === '' || text.endsWith('\n') ? '' : '\n'}[bytes ${shown.next}-${read.from} are no longer kept]\n`;
  }
  return {
    first: shown.first ?? read.from,
    next: read.next,
    text: text + decoder.decode(read.bytes, { stream: !read.complete }),
    complete: read.complete,
  };
}
