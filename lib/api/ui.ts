// The web UI's page at `/` and `app/`. Spark serves its UI on its own port (8080) and
// answers `/` on the REST port with the error servlet; here both share one API, so a
// browser (asking for HTML) gets the page and any other client Spark's error. The page
// itself holds no data and needs no token: it reads `/json` with one.
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const PAGE_PATHS = new Set(['/', '/app', '/app/']);

export function wantsUiPage(event: APIGatewayProxyEventV2): boolean {
  const method = event.requestContext.http.method;
  const accept = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'accept');
  return (
    (method === 'GET' || method === 'HEAD') &&
    PAGE_PATHS.has(event.rawPath) &&
    (accept?.[1] ?? '').includes('text/html')
  );
}

export function withUiPage(page: string | undefined, serve: Handler): Handler {
  if (page === undefined) return serve;
  return async (event, context) => {
    if (!wantsUiPage(event)) return serve(event, context);
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': "frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
      body: event.requestContext.http.method === 'HEAD' ? '' : page,
    };
  };
}
