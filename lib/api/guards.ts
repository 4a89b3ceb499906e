// Router middlewares that admit a request or refuse it before any handler runs.

import type { Middleware, RequestContext } from '@aws-lambda-powertools/event-handler/types';
import {
  type AuthConfig,
  type CredentialKind,
  credentialOf,
  driverOfToken,
  isLoopback,
  verifyToken,
} from './auth.js';
import { json } from './http.js';

export const sourceIp = (reqCtx: RequestContext): string | undefined =>
  (reqCtx.event as { requestContext?: { http?: { sourceIp?: string } } }).requestContext?.http
    ?.sourceIp;

/** With auth off, only this machine is served (local mode binds to loopback too). */
const refusedRemote = (reqCtx: RequestContext) => !isLoopback(sourceIp(reqCtx));

const NO_CACHE = 'no-cache, no-store, must-revalidate';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Jetty's error page, which Spark's JWSFilter answers with (`sendError`). */
function containerError(status: number, reason: string, path: string): Response {
  const r = escapeHtml(reason);
  const body = `<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>
<title>Error ${status} ${r}</title>
</head>
<body>
<h2>HTTP ERROR ${status} ${r}</h2>
<table>
<tr><th>URI:</th><td>${escapeHtml(path)}</td></tr>
<tr><th>STATUS:</th><td>${status}</td></tr>
<tr><th>MESSAGE:</th><td>${r}</td></tr>
</table>
</body>
</html>
`;
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/html;charset=ISO-8859-1', 'cache-control': NO_CACHE },
  });
}

const REASONS = {
  missing: 'Authorization header is missing.',
  malformed: 'Malformed Authorization header.',
  invalid: 'JWT Validate Fail',
} as const;

/** Spark's JWSFilter on the REST submission routes (spec §a.8), byte for byte in status. */
export function sparkJwsFilter(auth: AuthConfig): Middleware {
  return async ({ reqCtx, next }) => {
    const path = new URL(reqCtx.req.url).pathname;
    if (auth.mode === 'network') {
      await next();
      return;
    }
    if (auth.mode === 'off') {
      if (refusedRemote(reqCtx)) {
        return containerError(
          403,
          'Authentication is off: only loopback callers are served.',
          path,
        );
      }
      await next();
      return;
    }
    const { verdict, claims } = await verifyToken(
      reqCtx.req.headers.get('authorization') ?? undefined,
      auth.keys.submission,
      auth.rules,
    );
    if (verdict !== 'ok') return containerError(403, REASONS[verdict], path);
    // A driver's token is for its own application's routes, never for submissions.
    if (driverOfToken(claims) !== undefined) return containerError(403, REASONS.invalid, path);
    await next();
    reqCtx.res.headers.set('cache-control', NO_CACHE);
  };
}

/**
 * Our own routes: a bearer token of the route's credential kind. 401 when none verifies,
 * 403 when it is a valid token of another kind or for another holder.
 */
const driverOfRequest = new WeakMap<object, string>();
const credentialExpiry = new WeakMap<object, number>();

/** The driver whose token authorised this request, when it was a driver's token. */
export const requestingDriver = (reqCtx: RequestContext): string | undefined =>
  driverOfRequest.get(reqCtx.event as object);

/** When the worker credential that authorised this request expires (epoch seconds). */
export const credentialExpiresSec = (reqCtx: RequestContext): number | undefined =>
  credentialExpiry.get(reqCtx.event as object);

const wrongCredential = (message: string) => json(403, { error: 'wrong_credential', message });

/** The worker a `/v1/workers/<id>/…` path names; none for registration. */
function workerOfPath(reqCtx: RequestContext): string | undefined {
  const [, id] = /^\/v1\/workers\/([^/]+)/.exec(new URL(reqCtx.req.url).pathname) ?? [];
  if (id === undefined) return undefined;
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

export function requireCredential(
  auth: AuthConfig,
  kind: CredentialKind,
  options: { drivers?: boolean } = {},
): Middleware {
  return async ({ reqCtx, next }) => {
    if (auth.mode === 'network') {
      await next();
      return;
    }
    if (auth.mode === 'off') {
      if (refusedRemote(reqCtx)) {
        return json(403, {
          error: 'forbidden',
          message: 'Authentication is off: only loopback callers are served',
        });
      }
      await next();
      return;
    }
    const header = reqCtx.req.headers.get('authorization') ?? undefined;
    const found = await credentialOf(header, auth);
    if (found === undefined) {
      return json(
        401,
        {
          error: 'unauthorized',
          message:
            header === undefined
              ? `Authorization: Bearer <${kind} token> is required`
              : 'The bearer token is malformed, expired, without a valid exp or not signed with the right key',
        },
        { 'www-authenticate': 'Bearer' },
      );
    }
    if (found.kind !== kind) {
      return wrongCredential(
        `A ${found.kind} token cannot be used here; these routes need a ${kind} token`,
      );
    }
    if (found.kind === 'submission') {
      const driver = driverOfToken(found.claims);
      if (driver !== undefined) {
        if (!options.drivers) {
          return wrongCredential("A driver's token works only on the application routes");
        }
        driverOfRequest.set(reqCtx.event as object, driver);
      }
    } else {
      // The worker key registers; from then on a worker uses the credential naming it.
      const named = workerOfPath(reqCtx);
      if (named === undefined && found.workerId !== undefined) {
        return wrongCredential('Registration needs a token signed with the worker key');
      }
      if (named !== undefined && found.workerId === undefined) {
        return wrongCredential(
          'The worker key only registers a worker: use the credential its registration returned',
        );
      }
      if (named !== undefined && found.workerId !== named) {
        return json(403, {
          error: 'wrong_worker',
          message: `This credential is worker ${found.workerId}'s, not ${named}'s`,
        });
      }
      if (typeof found.claims.exp === 'number') {
        credentialExpiry.set(reqCtx.event as object, found.claims.exp);
      }
    }
    await next();
  };
}
