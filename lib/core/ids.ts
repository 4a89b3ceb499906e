// Spark's id patterns (`app-%s-%04d`, `driver-%s-%04d`, `worker-%s-%s-%d`), formatted the
// way Java's String.format does for the conversions those patterns use.

import { PropertyError } from './properties.js';

/** `yyyyMMddHHmmss` of an instant. sparkplane formats in UTC (Lambda's zone). */
export function sparkDate(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(
    d.getUTCHours(),
  )}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}

/**
 * Java's String.format for `%s`, `%d` with optional `0` flag and width, `%%`, and explicit
 * argument indices (`%2$05d`, which leave the ordinary order alone, as in Java). Anything
 * else is refused, so a bad pattern fails at start-up.
 */
export function javaFormat(pattern: string, ...args: readonly (string | number)[]): string {
  let next = 0;
  return pattern.replace(
    /%(?:(\d+)\$)?(0?)(\d*)(.?)/g,
    (all, index: string | undefined, zero: string, width: string, conv: string) => {
      if (conv === '%' && index === undefined && zero === '' && width === '') return '%';
      if (conv !== 's' && conv !== 'd') {
        throw new PropertyError(`Unsupported conversion "${all}" in "${pattern}"`);
      }
      const at = index === undefined ? next++ : Number(index) - 1;
      if (at < 0 || at >= args.length) {
        throw new PropertyError(`Missing format argument in "${pattern}"`);
      }
      const arg = args[at] as string | number;
      if (conv === 'd' && typeof arg !== 'number') {
        throw new PropertyError(`%d needs a number in "${pattern}"`);
      }
      const text = String(arg);
      const w = width === '' ? 0 : Number(width);
      if (conv === 'd' && zero === '0') {
        const negative = text.startsWith('-');
        const digits = negative ? text.slice(1) : text;
        return (negative ? '-' : '') + digits.padStart(w - (negative ? 1 : 0), '0');
      }
      return text.padStart(w, ' ');
    },
  );
}

/**
 * The number in the id of the n-th application (n counts from 0 and never wraps):
 * with `spark.deploy.appNumberModulo` the number wraps, driver numbers never do.
 */
export function applicationNumber(n: number, modulo: number | undefined): number {
  return modulo === undefined ? n : n % modulo;
}

export function applicationId(
  pattern: string,
  submitTimeMs: number,
  n: number,
  modulo?: number,
): string {
  return javaFormat(pattern, sparkDate(submitTimeMs), applicationNumber(n, modulo));
}

export function driverId(pattern: string, submitTimeMs: number, n: number): string {
  return javaFormat(pattern, sparkDate(submitTimeMs), n);
}

/** Worker ids are chosen by the worker at start; whitespace in the result is an error. */
export function workerId(pattern: string, startTimeMs: number, host: string, port: number): string {
  const id = javaFormat(pattern, sparkDate(startTimeMs), host, port);
  if (/\s/.test(id)) throw new PropertyError(`Whitespace is not allowed in worker id: "${id}"`);
  return id;
}
