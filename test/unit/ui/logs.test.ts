// The log page's links, routes and text, as reads of the log route come back.
import { describe, expect, it } from 'vitest';
import {
  appendRead,
  type LogRead,
  type LogShown,
  logApiPath,
  logPageQuery,
  logPageTitle,
  logReadOf,
  NOTHING_SHOWN,
  parseLogPageQuery,
} from '../../../lib/ui/logs.js';

const driver = { owner: { kind: 'driver', driverId: 'driver-20260101000000-0001' } } as const;
const executor = {
  owner: { kind: 'executor', appId: 'app-20260101000000-0002', executorId: 3 },
} as const;

describe('the log page query', () => {
  it("is Spark's worker log page query, read back as it was written", () => {
    const driverStdout = { ...driver, logType: 'stdout' } as const;
    const executorStderr = { ...executor, logType: 'stderr' } as const;
    expect(logPageQuery(driverStdout)).toBe('?driverId=driver-20260101000000-0001&logType=stdout');
    expect(logPageQuery(executorStderr)).toBe(
      '?appId=app-20260101000000-0002&executorId=3&logType=stderr',
    );
    expect(parseLogPageQuery(logPageQuery(driverStdout))).toEqual(driverStdout);
    expect(parseLogPageQuery(logPageQuery(executorStderr))).toEqual(executorStderr);
  });

  it('names no log page without a stream, or an executor without its number', () => {
    for (const search of [
      '',
      '?appId=app-1',
      '?driverId=driver-1',
      '?driverId=driver-1&logType=stdin',
      '?appId=app-1&logType=stdout',
      '?appId=app-1&executorId=x&logType=stdout',
      '?executorId=0&logType=stdout',
    ]) {
      expect(parseLogPageQuery(search)).toBeUndefined();
    }
  });

  it('names the log route and the title', () => {
    expect(logApiPath({ ...driver, logType: 'stderr' })).toBe(
      'v1/drivers/driver-20260101000000-0001/logs/stderr',
    );
    expect(logApiPath({ owner: { kind: 'driver', driverId: 'a/b' }, logType: 'stdout' })).toBe(
      'v1/drivers/a%2Fb/logs/stdout',
    );
    expect(logApiPath({ ...executor, logType: 'stdout' })).toBe(
      'v1/applications/app-20260101000000-0002/executors/3/logs/stdout',
    );
    expect(logPageTitle({ ...executor, logType: 'stderr' })).toBe(
      'stderr log page for app-20260101000000-0002/3',
    );
  });
});

describe('the text shown', () => {
  const read = (from: number, bytes: number[] | string, complete = false): LogRead => {
    const data =
      typeof bytes === 'string' ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes);
    return { from, next: from + data.length, complete, bytes: data };
  };
  const readAll = (reads: LogRead[], shown: LogShown = NOTHING_SHOWN) => {
    const decoder = new TextDecoder();
    return reads.reduce((s, r) => appendRead(s, r, decoder), shown);
  };

  it('reads the headers of the log route', () => {
    const headers = new Headers({ 'x-log-from': '5', 'x-log-next': '9', 'x-log-complete': 'true' });
    const bytes = new Uint8Array(4);
    expect(logReadOf(headers, bytes)).toEqual({ from: 5, next: 9, complete: true, bytes });
    expect(logReadOf(new Headers({ 'x-log-complete': 'false' }), bytes).complete).toBe(false);
  });

  it('joins a character split between reads', () => {
    // "a€b": € is E2 82 AC, split after its first byte.
    const shown = readAll([read(0, [0x61, 0xe2]), read(2, [0x82, 0xac, 0x62])]);
    expect(shown).toEqual({ first: 0, next: 5, text: 'a€b', complete: false });
  });

  it('shows a character cut short by the end as U+FFFD', () => {
    const shown = readAll([read(0, [0x61, 0xe2, 0x82]), read(3, [], true)]);
    expect(shown).toEqual({ first: 0, next: 3, text: 'a\uFFFD', complete: true });
  });

  it('starts where the store starts, and says where bytes were dropped since', () => {
    const shown = readAll([read(100, 'one\ntw'), read(200, 'three\n')]);
    expect(shown.first).toBe(100);
    expect(shown.text).toBe('one\ntw\n[bytes 106-200 are no longer kept]\nthree\n');
    expect(shown.next).toBe(206);
    // A split character before the gap is not carried over it.
    expect(readAll([read(0, [0x61, 0xe2]), read(9, 'z')]).text).toBe(
      'a\uFFFD\n[bytes 2-9 are no longer kept]\nz',
    );
  });
});
