// Spark property parsing, restated from JavaUtils/Utils so that values mean exactly what
// they mean to Spark (e.g. a unit-less "2048" is 2048 *bytes* to memoryStringToMb).

export class PropertyError extends Error {
  override readonly name = 'PropertyError';
}

const BYTE_UNITS: Readonly<Record<string, bigint>> = {
  b: 1n,
  k: 1n << 10n,
  kb: 1n << 10n,
  m: 1n << 20n,
  mb: 1n << 20n,
  g: 1n << 30n,
  gb: 1n << 30n,
  t: 1n << 40n,
  tb: 1n << 40n,
  p: 1n << 50n,
  pb: 1n << 50n,
};
export type ByteUnit = 'b' | 'k' | 'm' | 'g' | 't' | 'p';
const LONG_MAX = (1n << 63n) - 1n;

/** JavaUtils.byteStringAs: `<digits>[suffix]`, no fractions; unit-less values use `unit`. */
export function byteStringAs(value: string, unit: ByteUnit): number {
  const lower = value.toLowerCase().trim();
  const match = /^([0-9]+)([a-z]+)?$/.exec(lower);
  if (!match) {
    if (/^[0-9]+\.[0-9]+([a-z]+)?$/.test(lower)) {
      throw new PropertyError(`Fractional values are not supported. Input was: ${value}`);
    }
    throw new PropertyError(`Failed to parse byte string: ${value}`);
  }
  const digits = BigInt(match[1] as string);
  if (digits > LONG_MAX) throw new PropertyError(`Failed to parse byte string: ${value}`);
  const suffix = match[2];
  const from = suffix === undefined ? BYTE_UNITS[unit] : BYTE_UNITS[suffix];
  if (from === undefined) throw new PropertyError(`Invalid suffix: "${suffix}"`);
  const bytes = digits * from;
  if (bytes > LONG_MAX) throw new PropertyError(`Byte string too large: ${value}`);
  return Number(bytes / (BYTE_UNITS[unit] as bigint));
}

/**
 * Utils.memoryStringToMb, used for `spark.driver.memory` and `spark.executor.memory`:
 * the value is read as bytes unless it has a suffix, then floored to MiB.
 */
export function memoryStringToMb(value: string): number {
  const mb = Math.floor(byteStringAs(value, 'b') / 1024 / 1024);
  // Spark's `.toInt` would wrap past Int.MaxValue MiB into a negative size; refuse instead.
  if (mb > 2_147_483_647) throw new PropertyError(`Memory size too large: ${value}`);
  return mb;
}

const TIME_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
export type TimeUnit = 'ms' | 's';

/** JavaUtils.timeStringAs: `<digits>[us|ms|s|m|min|h|d]`; unit-less values use `unit`. */
export function timeStringAs(value: string, unit: TimeUnit): number {
  const match = /^(-?[0-9]+)([a-z]+)?$/.exec(value.toLowerCase().trim());
  if (!match)
    throw new PropertyError(
      `Time must be specified as seconds (s), milliseconds (ms), ...: ${value}`,
    );
  const suffix = match[2];
  const factor = suffix === undefined ? TIME_UNITS_MS[unit] : TIME_UNITS_MS[suffix];
  if (factor === undefined) throw new PropertyError(`Invalid suffix: "${suffix}"`);
  return Math.trunc((Number(match[1]) * factor) / (TIME_UNITS_MS[unit] as number));
}

/** Scala's `String.toBoolean`: "true" or "false" in any case, nothing else. */
export function parseBoolean(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new PropertyError(`For input string: "${value}"`);
}

/** Java's Integer.parseInt: optional sign, decimal digits, 32-bit range. */
export function parseInteger(value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) throw new PropertyError(`For input string: "${value}"`);
  const n = Number(value);
  if (n > 2_147_483_647 || n < -2_147_483_648) {
    throw new PropertyError(`For input string: "${value}"`);
  }
  return n;
}

// Java's Double.parseDouble grammar (FloatingDecimal): sign, NaN/Infinity, decimal or
// hexadecimal significand, exponent, optional f/F/d/D suffix.
const JAVA_DOUBLE =
  /^[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+)[fFdD]?)$/;

/** Java's String.trim: drops every leading and trailing character up to U+0020. */
function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 32) start++;
  while (end > start && value.charCodeAt(end - 1) <= 32) end--;
  return value.slice(start, end);
}

/** Whether Java's `String.toDouble` accepts the value (Spark's numeric property check). */
export function isJavaDouble(value: string): boolean {
  return JAVA_DOUBLE.test(javaTrim(value));
}
