// The web UI at `/` and `app/` for browsers; Spark's error servlet for everyone else.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { withUiPage } from '../../../lib/api/ui.js';

const event = (method: string, rawPath: string, accept?: string) =>
  ({
    rawPath,
    headers: accept ? { Accept: accept } : {},
    requestContext: { http: { method } },
  }) as unknown as APIGatewayProxyEventV2;

const servlet = async () => ({ statusCode: 400, body: 'error servlet' });
const handler = withUiPage('<html>the page</html>', servlet);
const call = (e: APIGatewayProxyEventV2) => handler(e, {} as Context);

describe('the UI page', () => {
  it('is served to browsers at / and app/, not framable', async () => {
    for (const path of ['/', '/app/', '/app']) {
      const r = await call(event('GET', path, 'text/html,application/xhtml+xml,*/*;q=0.8'));
      expect(r.statusCode).toBe(200);
      expect(r.body).toBe('<html>the page</html>');
      expect(r.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers?.['content-security-policy']).toBe("frame-ancestors 'none'");
    }
  });

  it('answers HEAD without a body', async () => {
    const r = await call(event('HEAD', '/', 'text/html'));
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('');
  });

  it("leaves Spark's clients, other methods and other paths to the error servlet", async () => {
    for (const e of [
      event('GET', '/'),
      event('GET', '/', '*/*'),
      event('GET', '/', 'application/json'),
      event('POST', '/', 'text/html'),
      event('GET', '/v1/', 'text/html'),
      event('GET', '/app/x', 'text/html'),
    ]) {
      expect((await call(e)).body).toBe('error servlet');
    }
  });

  it('is not served at all without a page (the error servlet answers /)', async () => {
    const r = await withUiPage(undefined, servlet)(event('GET', '/', 'text/html'), {} as Context);
    expect(r.body).toBe('error servlet');
  });
});
