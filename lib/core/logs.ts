// Driver and executor logs as the store keeps them, without I/O. A stream (a driver's or an
// executor's stdout or stderr) is a sequence of immutable chunks, each an object named by
// the byte offset it starts at, so a chunk shipped twice is the same object and a reader
// finds any offset by its name. Past the bound, the oldest chunks are dropped: what stays is
// the newest `maxBytes` or a little more, as Spark's rolling executor logs keep the newest.

export const LOG_STREAMS = ['stdout', 'stderr'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export type LogOwner =
  | { readonly kind: 'driver'; readonly driverId: string }
  | { readonly kind: 'executor'; readonly appId: string; readonly executorId: number };

/** How the agent ships: at most this much of one stream per chunk (and per request, 4x). */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** What one read returns at most, and by default. */
export const MAX_READ_BYTES = 2 * 1024 * 1024;
/** The chunks one read fetches at most: a log of tiny chunks is read in several calls. */
export const MAX_READ_CHUNKS = 64;

/** Offsets are written with this many digits, so names sort as offsets do (up to 1 PB). */
const DIGITS = 15;
const END = 'end';

/** The owner as a word the log token and the store's names use. */
export const ownerName = (o: LogOwner): string =>
  o.kind === 'driver' ? `driver ${o.driverId}` : `executor ${o.appId}/${o.executorId}`;

/** A log's route in the HTTP API (lib/api/logs.ts), for its clients: the UI and the CLI. */
export const logRoute = (o: LogOwner, stream: LogStream): string =>
  o.kind === 'driver'
    ? `/v1/drivers/${encodeURIComponent(o.driverId)}/logs/${stream}`
    : `/v1/applications/${encodeURIComponent(o.appId)}/executors/${o.executorId}/logs/${stream}`;

export const streamPrefix = (o: LogOwner, stream: LogStream): string =>
  o.kind === 'driver'
    ? `logs/drivers/${o.driverId}/${stream}/`
    : `logs/applications/${o.appId}/executors/${o.executorId}/${stream}/`;

export const chunkName = (o: LogOwner, stream: LogStream, offset: number): string =>
  `${streamPrefix(o, stream)}${String(offset).padStart(DIGITS, '0')}`;

/** Written once the stream is whole (the process ended and all of it was shipped). */
export const endName = (o: LogOwner, stream: LogStream): string =>
  `${streamPrefix(o, stream)}${END}`;

/** The name to list after to find the chunk holding `offset`: no chunk is longer. */
export const listFrom = (o: LogOwner, stream: LogStream, offset: number): string | undefined =>
  offset >= MAX_CHUNK_BYTES ? chunkName(o, stream, offset - MAX_CHUNK_BYTES) : undefined;

export interface Chunk {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** A stream's listing read back: its chunks in order, and whether it is whole. */
export function readListing(
  prefix: string,
  objects: readonly { readonly name: string; readonly size: number }[],
): { chunks: Chunk[]; ended: boolean } {
  const chunks: Chunk[] = [];
  let ended = false;
  for (const { name, size } of objects) {
    const rest = name.slice(prefix.length);
    if (rest === END) ended = true;
    else if (/^\d+$/.test(rest)) chunks.push({ name, offset: Number(rest), size });
  }
  chunks.sort((a, b) => a.offset - b.offset);
  return { chunks, ended };
}

export interface ReadPlan {
  /** The first byte returned: `from`, or the oldest byte kept when `from` was dropped. */
  readonly from: number;
  /** The chunks to fetch, each with the part of it wanted. */
  readonly parts: readonly {
    readonly name: string;
    readonly start: number;
    readonly end: number;
  }[];
  /** Where the next read starts. */
  readonly next: number;
}

/**
 * Which parts of which chunks make up [from, from + size). Chunks are written in order, so
 * a gap at the start is the bound's: a read from before the oldest byte kept starts there.
 * Any other gap ends the read.
 */
export function planRead(chunks: readonly Chunk[], from: number, size: number): ReadPlan {
  const first = chunks.findIndex((c) => c.offset + c.size > from);
  if (first === -1) return { from, parts: [], next: from };
  const start = Math.max(from, (chunks[first] as Chunk).offset);
  const parts: { name: string; start: number; end: number }[] = [];
  let at = start;
  let stored = start;
  for (const c of chunks.slice(first)) {
    if (c.offset > stored) break;
    stored = Math.max(stored, c.offset + c.size);
    const end = Math.min(c.offset + c.size, start + size);
    if (end > at && parts.length < MAX_READ_CHUNKS) {
      parts.push({ name: c.name, start: at - c.offset, end: end - c.offset });
      at = end;
    }
  }
  return { from: start, parts, next: at };
}

/**
 * The chunks a stream no longer keeps: the oldest, while what remains without them is still
 * at least `maxBytes`. `starts` are the offsets the shipper wrote, oldest first.
 */
export function chunksToDrop(
  starts: readonly number[],
  shipped: number,
  maxBytes: number,
): number[] {
  const drop: number[] = [];
  for (let i = 1; i < starts.length; i++) {
    if (shipped - (starts[i] as number) < maxBytes) break;
    drop.push(starts[i - 1] as number);
  }
  return drop;
}

export interface RangeRequest {
  readonly from: number;
  readonly size: number;
}

/**
 * `?from=&size=` (Livy's) or an HTTP `Range: bytes=a-b` / `bytes=a-`; a suffix range
 * (`bytes=-n`) is not served, since a stream's end moves. Returns a message when malformed.
 */
export function parseRange(
  query: { readonly from?: string | null; readonly size?: string | null },
  rangeHeader: string | null | undefined,
): RangeRequest | { readonly error: string } {
  const whole = (s: string, min: number) =>
    /^\d{1,16}$/.test(s) && Number(s) >= min ? Number(s) : undefined;
  if (rangeHeader) {
    const m = /^bytes=(\d{1,16})-(\d{0,16})$/.exec(rangeHeader.trim());
    if (!m) return { error: 'Range must be bytes=<first>-[<last>]' };
    const first = Number(m[1]);
    const last = m[2] === '' ? undefined : Number(m[2]);
    if (last !== undefined && last < first) {
      return { error: 'Range: the last byte is before the first' };
    }
    const size = last === undefined ? MAX_READ_BYTES : Math.min(MAX_READ_BYTES, last - first + 1);
    return { from: first, size };
  }
  const from = query.from ? whole(query.from, 0) : 0;
  if (from === undefined) return { error: 'from must be a whole number of bytes, 0 or more' };
  const size = query.size ? whole(query.size, 1) : MAX_READ_BYTES;
  if (size === undefined) return { error: 'size must be a whole number of bytes, 1 or more' };
  return { from, size: Math.min(size, MAX_READ_BYTES) };
}
