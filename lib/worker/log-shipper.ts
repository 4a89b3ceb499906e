// Ships each driver's and executor's stdout and stderr to the log store through the API,
// while it runs: every interval the new bytes of each file, in one request for all of them,
// and at its end the rest and the stream's end. The files stay the truth (Spark's worker
// writes them too); a request that fails is sent again from them, and a chunk sent twice is
// the same object. A process (or this agent) killed loses at most the last interval.

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  chunksToDrop,
  LOG_STREAMS,
  type LogOwner,
  type LogStream,
  MAX_CHUNK_BYTES,
  ownerName,
} from '../core/logs.js';

/** What one request carries at most: with its base64, under Lambda's 6 MB payload. */
const REQUEST_BYTES = 3 * MAX_CHUNK_BYTES;
const CLOSE_TIMEOUT_MS = 10_000;
const RETRY_CLOSING_MS = 1000;

interface Stream {
  readonly owner: LogOwner;
  readonly stream: LogStream;
  readonly path: string;
  readonly logToken?: string;
  /** Bytes the store has, from the file's start. */
  shipped: number;
  /** The offsets of the chunks the store keeps, oldest first. */
  starts: number[];
  /** The process ended: once all is shipped, the end is written and the stream forgotten. */
  closing: boolean;
}

export interface ShipperOptions {
  /** POSTs the body to the worker's log route. */
  readonly post: (body: unknown) => Promise<Response>;
  readonly intervalMs: number;
  readonly maxBytes: number;
  readonly logger: Logger;
}

async function readFrom(path: string, offset: number, max: number): Promise<Buffer> {
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(path, 'r');
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await file.read(buffer, 0, max, offset);
    return buffer.subarray(0, bytesRead);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  } finally {
    await file?.close();
  }
}

export class LogShipper {
  private readonly streams = new Map<string, Stream>();
  private readonly closed = new Map<string, () => void>();
  private timer?: NodeJS.Timeout;
  private shipping?: Promise<void>;
  private again = false;
  private off = false;

  constructor(private readonly o: ShipperOptions) {}

  /** The run's `stdout` and `stderr` in `dir` are shipped from now on. */
  add(owner: LogOwner, dir: string, logToken: string | undefined): void {
    for (const stream of LOG_STREAMS) {
      const key = `${ownerName(owner)} ${stream}`;
      if (this.streams.has(key)) continue;
      this.streams.set(key, {
        owner,
        stream,
        path: join(dir, stream),
        ...(logToken ? { logToken } : {}),
        shipped: 0,
        starts: [],
        closing: false,
      });
    }
    this.timer ??= setInterval(() => void this.ship(), this.o.intervalMs);
  }

  /** The run ended: ships what is left and its end (bounded in time: the report waits). */
  close(owner: LogOwner): Promise<void> {
    const name = ownerName(owner);
    const mine = [...this.streams.entries()].filter(([, s]) => ownerName(s.owner) === name);
    if (mine.length === 0 || this.off) return Promise.resolve();
    for (const [, s] of mine) s.closing = true;
    const done = new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        this.o.logger.warn('logs not shipped in time; reporting the end anyway', { run: name });
        resolve();
      }, CLOSE_TIMEOUT_MS);
      this.closed.set(name, () => {
        clearTimeout(timeout);
        resolve();
      });
    });
    void this.ship();
    return done;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One request at a time; a tick during one makes another right after it. */
  private ship(): Promise<void> {
    if (this.shipping) {
      this.again = true;
      return this.shipping;
    }
    this.shipping = (async () => {
      do {
        this.again = false;
        await this.shipOnce();
      } while (this.again);
    })().finally(() => {
      this.shipping = undefined;
    });
    return this.shipping;
  }

  private async shipOnce(): Promise<void> {
    if (this.off) return;
    let budget = REQUEST_BYTES;
    const batch: { s: Stream; chunks: { offset: number; data: Buffer }[]; whole: boolean }[] = [];
    for (const s of this.streams.values()) {
      const chunks: { offset: number; data: Buffer }[] = [];
      let at = s.shipped;
      while (budget > 0) {
        const data = await readFrom(s.path, at, Math.min(MAX_CHUNK_BYTES, budget));
        if (data.length === 0) break;
        chunks.push({ offset: at, data });
        at += data.length;
        budget -= data.length;
      }
      const whole = s.closing && budget > 0;
      if (chunks.length > 0 || whole) batch.push({ s, chunks, whole });
    }
    if (batch.length === 0) return;
    const streams = batch.map(({ s, chunks, whole }) => {
      const last = chunks.at(-1);
      const end = last ? last.offset + last.data.length : s.shipped;
      const starts = [...s.starts, ...chunks.map((c) => c.offset)];
      const drop = chunksToDrop(starts, end, this.o.maxBytes);
      const body = {
        owner: s.owner,
        stream: s.stream,
        ...(s.logToken ? { logToken: s.logToken } : {}),
        chunks: chunks.map((c) => ({ offset: c.offset, data: c.data.toString('base64') })),
        drop,
        ...(whole ? { end } : {}),
      };
      return { s, end, starts, whole, drop, body };
    });
    try {
      const r = await this.o.post({ streams: streams.map((s) => s.body) });
      if (r.status === 404) {
        // A control plane without a log store: nothing to ship to.
        this.off = true;
        this.o.logger.warn('the control plane keeps no logs; not shipping them');
        for (const resolve of this.closed.values()) resolve();
        return;
      }
      if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    } catch (e) {
      this.o.logger.warn('logs not shipped; sending again', { error: (e as Error).message });
      // An ended run's report waits for its logs: it tries again sooner than the interval.
      if (streams.some(({ s }) => s.closing)) {
        setTimeout(() => void this.ship(), RETRY_CLOSING_MS).unref();
      }
      return;
    }
    for (const { s, end, starts, drop, whole } of streams) {
      s.shipped = end;
      s.starts = starts.filter((o) => !drop.includes(o));
      if (whole) this.streams.delete(`${ownerName(s.owner)} ${s.stream}`);
    }
    for (const [name, resolve] of this.closed) {
      if (![...this.streams.values()].some((s) => ownerName(s.owner) === name)) {
        this.closed.delete(name);
        resolve();
      }
    }
    // More waits than one request carried: go on at once.
    if (budget <= 0 || [...this.streams.values()].some((s) => s.closing)) this.again = true;
  }
}
