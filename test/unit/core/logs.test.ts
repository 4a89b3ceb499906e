import { describe, expect, it } from 'vitest';
import {
  chunkName,
  chunksToDrop,
  endName,
  listFrom,
  MAX_CHUNK_BYTES,
  MAX_READ_BYTES,
  MAX_READ_CHUNKS,
  parseRange,
  planRead,
  readListing,
  streamPrefix,
} from '../../../lib/core/logs.js';

const driver = { kind: 'driver', driverId: 'driver-1' } as const;
const executor = { kind: 'executor', appId: 'app-1', executorId: 3 } as const;

/** Chunks of the given sizes, back to back from `start`. */
const chunks = (sizes: number[], start = 0) => {
  let at = start;
  return sizes.map((size) => {
    const c = { name: chunkName(driver, 'stdout', at), offset: at, size };
    at += size;
    return c;
  });
};

describe('the log store layout', () => {
  it('names chunks by their offset so that names sort as offsets do', () => {
    expect(chunkName(driver, 'stdout', 42)).toBe('logs/drivers/driver-1/stdout/000000000000042');
    expect(chunkName(executor, 'stderr', 0)).toBe(
      'logs/applications/app-1/executors/3/stderr/000000000000000',
    );
    const names = [5, 1_000_000, 20].map((o) => chunkName(driver, 'stdout', o)).sort();
    expect(names.map((n) => Number(n.split('/').at(-1)))).toEqual([5, 20, 1_000_000]);
    expect(endName(driver, 'stdout') > chunkName(driver, 'stdout', 10 ** 14)).toBe(true);
  });

  it('lists from where the chunk holding an offset can start: no chunk is longer than the bound', () => {
    expect(listFrom(driver, 'stdout', 10)).toBeUndefined();
    const after = listFrom(driver, 'stdout', MAX_CHUNK_BYTES + 5) as string;
    expect(after).toBe(chunkName(driver, 'stdout', 5));
    // The chunk at 6 may hold the offset; it lists after `after`.
    expect(chunkName(driver, 'stdout', 6) > after).toBe(true);
  });

  it('reads a listing back: chunks in order, the end marker, nothing else', () => {
    const prefix = streamPrefix(driver, 'stdout');
    const read = readListing(prefix, [
      { name: `${prefix}000000000000010`, size: 5 },
      { name: `${prefix}000000000000000`, size: 10 },
      { name: `${prefix}end`, size: 12 },
      { name: `${prefix}stray`, size: 1 },
    ]);
    expect(read.chunks.map((c) => [c.offset, c.size])).toEqual([
      [0, 10],
      [10, 5],
    ]);
    expect(read.ended).toBe(true);
    expect(readListing(prefix, []).ended).toBe(false);
  });
});

describe('planning a read', () => {
  it('takes the parts of the chunks a range covers', () => {
    const plan = planRead(chunks([10, 10, 10]), 5, 12);
    expect(plan.from).toBe(5);
    expect(plan.next).toBe(17);
    expect(plan.parts.map((p) => [p.start, p.end])).toEqual([
      [5, 10],
      [0, 7],
    ]);
  });

  it('stops at a gap (a chunk still on its way) and past the end', () => {
    const [a, , c] = chunks([10, 10, 10]);
    const plan = planRead([a, c] as never, 0, 100);
    expect(plan.next).toBe(10);
    expect(planRead(chunks([10]), 10, 5)).toEqual({ from: 10, parts: [], next: 10 });
    expect(planRead([], 0, 5)).toEqual({ from: 0, parts: [], next: 0 });
  });

  it('starts at the oldest byte kept when the range starts before it', () => {
    const plan = planRead(chunks([10, 10], 100), 0, 15);
    expect(plan.from).toBe(100);
    expect(plan.next).toBe(115);
  });

  it('fetches a bounded number of chunks; the next read goes on', () => {
    const plan = planRead(chunks(Array(MAX_READ_CHUNKS + 10).fill(1)), 0, 1000);
    expect(plan.parts).toHaveLength(MAX_READ_CHUNKS);
    expect(plan.next).toBe(MAX_READ_CHUNKS);
  });
});

describe('the bound on a stream', () => {
  it('drops the oldest chunks while what stays is still at least the bound', () => {
    // 4 chunks of 100 bytes, bound 250: the newest 300 stay (the 250 need 3 chunks).
    expect(chunksToDrop([0, 100, 200, 300], 400, 250)).toEqual([0]);
    expect(chunksToDrop([0, 100, 200, 300], 400, 400)).toEqual([]);
    expect(chunksToDrop([0, 100, 200, 300], 400, 100)).toEqual([0, 100, 200]);
    // Never the newest chunk, however big.
    expect(chunksToDrop([0], 10_000, 1)).toEqual([]);
  });
});

describe('ranges', () => {
  it("reads Livy's from and size, and Range: bytes=", () => {
    expect(parseRange({ from: '10', size: '5' }, undefined)).toEqual({ from: 10, size: 5 });
    expect(parseRange({}, undefined)).toEqual({ from: 0, size: MAX_READ_BYTES });
    expect(parseRange({ size: String(10 * MAX_READ_BYTES) }, null)).toEqual({
      from: 0,
      size: MAX_READ_BYTES,
    });
    expect(parseRange({}, 'bytes=2-4')).toEqual({ from: 2, size: 3 });
    expect(parseRange({}, 'bytes=7-')).toEqual({ from: 7, size: MAX_READ_BYTES });
  });

  it('names what is wrong', () => {
    expect(parseRange({ from: '-1' }, null)).toEqual({ error: expect.stringMatching(/^from/) });
    expect(parseRange({ size: '0' }, null)).toEqual({ error: expect.stringMatching(/^size/) });
    expect(parseRange({}, 'bytes=-5')).toEqual({ error: expect.stringMatching(/^Range/) });
    expect(parseRange({}, 'bytes=5-2')).toEqual({ error: expect.stringMatching(/^Range/) });
    expect(parseRange({}, 'items=1-2')).toEqual({ error: expect.stringMatching(/^Range/) });
  });
});
