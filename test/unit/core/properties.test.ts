import { describe, expect, it } from 'vitest';
import {
  byteStringAs,
  isJavaDouble,
  memoryStringToMb,
  PropertyError,
  parseBoolean,
  parseInteger,
  timeStringAs,
} from '../../../lib/core/properties.js';

describe('memory strings (Utils.memoryStringToMb)', () => {
  it.each([
    ['512m', 512],
    ['1g', 1024],
    ['1G', 1024],
    ['2gb', 2048],
    ['1t', 1024 * 1024],
    ['4096k', 4],
    ['1048576', 1], // unit-less means bytes
    ['2048', 0], // 2048 bytes floor to 0 MiB, as in Spark
    [' 3m ', 3],
    ['1023k', 0],
  ])('%s -> %d MiB', (input, mb) => {
    expect(memoryStringToMb(input)).toBe(mb);
  });

  it.each(['1.5g', '', 'g', '-1m', '1x', '1 g', '99999999999999999999'])('refuses %j', (input) => {
    expect(() => memoryStringToMb(input)).toThrow(PropertyError);
  });

  it('names fractions the way Spark does', () => {
    expect(() => memoryStringToMb('1.5g')).toThrow('Fractional values are not supported');
  });

  it('reads unit-less values in the caller unit (config entries declared in MiB)', () => {
    expect(byteStringAs('2048', 'm')).toBe(2048);
    expect(byteStringAs('1g', 'm')).toBe(1024);
    expect(byteStringAs('1500k', 'm')).toBe(1); // conversion to a larger unit floors
  });
});

describe('time strings (JavaUtils.timeStringAs)', () => {
  it.each([
    ['10s', 'ms', 10_000],
    ['10', 'ms', 10],
    ['10', 's', 10],
    ['2min', 's', 120],
    ['1h', 's', 3600],
    ['1500ms', 's', 1],
    ['1d', 's', 86_400],
  ] as const)('%s as %s -> %d', (input, unit, expected) => {
    expect(timeStringAs(input, unit)).toBe(expected);
  });

  it('refuses unknown suffixes', () => {
    expect(() => timeStringAs('10 parsecs', 's')).toThrow(PropertyError);
    expect(() => timeStringAs('10y', 's')).toThrow(PropertyError);
  });
});

describe('booleans and integers', () => {
  it('accepts true/false in any case and nothing else', () => {
    expect(parseBoolean('TRUE')).toBe(true);
    expect(parseBoolean('False')).toBe(false);
    for (const bad of ['yes', '1', ' true', '']) expect(() => parseBoolean(bad)).toThrow();
  });

  it('parses Java ints', () => {
    expect(parseInteger('+42')).toBe(42);
    expect(parseInteger('-7')).toBe(-7);
    expect(parseInteger('2147483647')).toBe(2147483647);
    for (const bad of ['2147483648', '1.5', ' 1', '0x10', '', '1e3']) {
      expect(() => parseInteger(bad)).toThrow(PropertyError);
    }
  });

  it("checks numbers as Java's toDouble does (so '1.5' cores pass validation)", () => {
    for (const ok of [
      '1',
      '1.5',
      '-2',
      '1e3',
      '.5',
      '5.',
      'NaN',
      'Infinity',
      ' 2 ',
      '1d',
      '0x1p3',
    ]) {
      expect(isJavaDouble(ok), ok).toBe(true);
    }
    for (const bad of ['', 'one', '1,5', '1.2.3', 'e3', 'inf']) {
      expect(isJavaDouble(bad), bad).toBe(false);
    }
  });
});
