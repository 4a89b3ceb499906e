import { describe, expect, it } from 'vitest';
import {
  applicationId,
  applicationNumber,
  driverId,
  javaFormat,
  sparkDate,
  workerId,
} from '../../../lib/core/ids.js';

const at = Date.UTC(2023, 9, 31, 22, 45, 9); // Tue Oct 31 22:45:09 UTC 2023

describe('ids (spec §d.1, §e, §f)', () => {
  it('formats dates as yyyyMMddHHmmss', () => {
    expect(sparkDate(at)).toBe('20231031224509');
    expect(sparkDate(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('20240102030405');
  });

  it('formats application and driver ids like Spark', () => {
    expect(applicationId('app-%s-%04d', at, 8)).toBe('app-20231031224509-0008');
    expect(driverId('driver-%s-%04d', at, 19)).toBe('driver-20231031224509-0019');
    expect(driverId('driver-%s-%04d', at, 12345)).toBe('driver-20231031224509-12345');
  });

  it('wraps application numbers with appNumberModulo, never driver numbers', () => {
    expect(applicationNumber(1000, 1000)).toBe(0);
    expect(applicationNumber(1234, 1000)).toBe(234);
    expect(applicationNumber(1234, undefined)).toBe(1234);
    expect(applicationId('app-%s-%04d', at, 1001, 1000)).toBe('app-20231031224509-0001');
  });

  it('formats worker ids and refuses whitespace', () => {
    expect(workerId('worker-%s-%s-%d', at, '10.0.0.5', 39729)).toBe(
      'worker-20231031224509-10.0.0.5-39729',
    );
    expect(() => workerId('worker-%s-%s-%d', at, 'my host', 1)).toThrow('Whitespace');
  });

  it("implements Java's %s, %d, %0Nd, %Nd and %%", () => {
    expect(javaFormat('%s|%5d|%05d|%%|%d', 'a', 42, -42, 7)).toBe('a|   42|-0042|%|7');
    expect(() => javaFormat('%x', 1)).toThrow('Unsupported');
    expect(() => javaFormat('%s %s', 'only one')).toThrow('Missing');
    // MasterSuite's patterns: explicit indices leave the ordinary order alone.
    expect(javaFormat('my-app-%2$05d', '20231101000000', 7)).toBe('my-app-00007');
    expect(javaFormat('%2$s-%s-%1$s', 'a', 'b')).toBe('b-a-a');
    expect(() => javaFormat('%3$s', 'a', 'b')).toThrow('Missing');
  });
});
