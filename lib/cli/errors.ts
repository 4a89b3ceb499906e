// What the CLI says when something went wrong: one line naming what was wrong, and an exit
// code (2: how it was called or configured; 1: the request failed).

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, 2);

/** One line: servers' messages (Spark's exceptions among them) may span several. */
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host (DNS lookup failed)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** A request that got no answer: fetch's error, its cause carrying the system's code. */
export function unreachable(url: string, error: unknown): CliError {
  const e = error as { name?: string; message?: string; cause?: Record<string, unknown> };
  if (e.name === 'TimeoutError') return new CliError(`cannot reach ${url}: no answer in time`);
  const cause = e.cause ?? {};
  // Several addresses tried (localhost: ::1 and 127.0.0.1): an AggregateError of them.
  const code = cause.code ?? (cause.errors as { code?: unknown }[] | undefined)?.[0]?.code;
  const reason =
    NETWORK_REASONS[String(code)] ?? String(cause.message || e.message || 'unknown error');
  return new CliError(`cannot reach ${url}: ${oneLine(reason)}`);
}

/** The message of an error answer: our routes' and Spark's JSON, or Jetty's HTML page. */
export function answerMessage(status: number, statusText: string, body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === 'string' && message.trim()) return oneLine(message);
  } catch {}
  // Spark's JWSFilter answers a refused token with the container's error page.
  const html = /<th>MESSAGE:<\/th><td>(.*?)<\/td>/s.exec(body)?.[1];
  if (html) return oneLine(html.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))));
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

/** An answer other than 2xx. A 401 or 403 is about the token: say which one to check. */
export function refused(
  answer: { status: number; statusText: string; body: string },
  tokenSource: string | undefined,
): CliError {
  const message = answerMessage(answer.status, answer.statusText, answer.body);
  if (answer.status === 401 || answer.status === 403) {
    const hint = tokenSource
      ? `check the token (from ${tokenSource})`
      : 'pass a token with --token or SPARKPLANE_TOKEN';
    return new CliError(`refused (${answer.status}): ${message}; ${hint}`);
  }
  if (answer.status >= 500) return new CliError(`server error (${answer.status}): ${message}`);
  return new CliError(message);
}
