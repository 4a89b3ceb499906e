import { describe, expect, it } from 'vitest';
import { answerMessage, refused, unreachable } from '../../../lib/cli/errors.js';

/** fetch's TypeError, its cause the system error. */
const fetchFailed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });

describe('what the CLI says when a request fails', () => {
  it('names the URL it could not reach and why', () => {
    const url = 'http://127.0.0.1:6066';
    expect(unreachable(url, fetchFailed({ code: 'ECONNREFUSED' })).message).toBe(
      'cannot reach http://127.0.0.1:6066: connection refused',
    );
    // localhost: both addresses tried.
    const both = fetchFailed(new AggregateError([{ code: 'ECONNREFUSED' }]));
    expect(unreachable(url, both).message).toMatch(/connection refused$/);
    expect(unreachable(url, fetchFailed({ code: 'ENOTFOUND' })).message).toMatch(/no such host$/);
    expect(unreachable(url, fetchFailed({ message: 'self-signed certificate' })).message).toMatch(
      /: self-signed certificate$/,
    );
    const timeout = Object.assign(new Error('The operation was aborted'), { name: 'TimeoutError' });
    expect(unreachable(url, timeout).message).toMatch(/: no answer in time$/);
    expect(unreachable(url, fetchFailed({})).exitCode).toBe(1);
  });

  it("reads the message of our errors, Spark's ErrorResponse and Jetty's page, on one line", () => {
    expect(answerMessage(404, 'Not Found', '{"error":"not_found","message":"No driver d"}')).toBe(
      'No driver d',
    );
    expect(
      answerMessage(400, '', '{"action":"ErrorResponse","message":"Malformed request:\\n  x"}'),
    ).toBe('Malformed request: x');
    const jetty =
      '<html><body><table><tr><th>MESSAGE:</th><td>JWT Validate Fail</td></tr></table></body></html>';
    expect(answerMessage(403, 'Forbidden', jetty)).toBe('JWT Validate Fail');
    expect(
      answerMessage(403, '', '<tr><th>MESSAGE:</th><td>Only &#39;loopback&#39;</td></tr>'),
    ).toBe("Only 'loopback'");
    expect(answerMessage(502, 'Bad Gateway', 'upstream')).toBe('HTTP 502 Bad Gateway');
  });

  it('says which token to check when one is refused, and how to give one when none was', () => {
    const answer = { status: 401, statusText: 'Unauthorized', body: '{"message":"bad token"}' };
    expect(refused(answer, 'SPARKPLANE_TOKEN').message).toBe(
      'refused (401): bad token; check the token (from SPARKPLANE_TOKEN)',
    );
    expect(refused({ ...answer, status: 403 }, undefined).message).toBe(
      'refused (403): bad token; pass a token with --token or SPARKPLANE_TOKEN',
    );
    expect(refused({ ...answer, status: 404 }, undefined).message).toBe('bad token');
    expect(refused({ ...answer, status: 500 }, undefined).message).toBe(
      'server error (500): bad token',
    );
  });
});
