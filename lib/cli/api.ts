// The API as the CLI calls it: the bearer token on every request, and every failure (no
// answer, a refusal, an answer that is not the API's) turned into a one-line CliError.

import type { Target } from './config.js';
import { CliError, refused, unreachable } from './errors.js';
import { FOLLOW_WAIT_SEC, logPage } from './requests.js';

/** A request's time limit; a log's long poll gets that on top of its wait. */
const TIMEOUT_MS = 30_000;
const FOLLOW_TIMEOUT_MS = FOLLOW_WAIT_SEC * 1000 + TIMEOUT_MS;

export interface Api {
  readonly url: string;
  json<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T>;
  /** Writes a log's bytes from `from` until an empty page or, following, its end. */
  readLog(
    route: string,
    from: number,
    follow: boolean,
    write: (b: Uint8Array) => Promise<void>,
  ): Promise<void>;
}

export function connect(target: Target): Api {
  async function send(
    method: string,
    route: string,
    body?: unknown,
    timeoutMs = TIMEOUT_MS,
  ): Promise<Response> {
    const url = `${target.url}${route}`;
    let answer: Response;
    try {
      answer = await fetch(url, {
        method,
        headers: {
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw unreachable(target.url, e);
    }
    if (!answer.ok) {
      const { status, statusText } = answer;
      throw refused({ status, statusText, body: await answer.text() }, target.tokenSource);
    }
    return answer;
  }

  return {
    url: target.url,
    async json<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
      const answer = await send(method, route, body);
      const text = await answer.text();
      try {
        return JSON.parse(text) as T;
      } catch {
        const type = answer.headers.get('content-type') ?? 'no content type';
        throw new CliError(`${target.url} is not sparkplane's API: ${route} answered ${type}`);
      }
    },

    async readLog(route, from, follow, write) {
      for (;;) {
        const answer = await send(
          'GET',
          logPage(route, from, follow),
          undefined,
          follow ? FOLLOW_TIMEOUT_MS : TIMEOUT_MS,
        );
        const bytes = new Uint8Array(await answer.arrayBuffer());
        if (bytes.length > 0) await write(bytes);
        const next = Number(answer.headers.get('x-log-next'));
        if (!Number.isSafeInteger(next)) {
          throw new CliError(`${target.url} is not sparkplane's API: no x-log-next from ${route}`);
        }
        from = next;
        if (answer.headers.get('x-log-complete') === 'true' || (!follow && bytes.length === 0)) {
          return;
        }
      }
    },
  };
}
