// Bearer tokens: Spark's JWSFilter (spec §a.8) for submissions, applications and the
// cluster view, and the workers' own. A worker registers with a token signed by the worker
// key (its bootstrap credential) and gets back a credential naming its worker id, signed
// with a key derived from the submission keys, which no worker holds: it works on that
// worker's routes only. Every kind of token needs `exp` within the configured lifetime,
// except the one a driver gets, which dies with its driver instead.

import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { base64url, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { type LogOwner, ownerName } from '../core/logs.js';
import { PropertyError, parseBoolean, timeStringAs } from '../core/properties.js';
import type { LaunchDriver, LaunchExecutor, WorkerCommand } from '../protocol/commands.js';

export type CredentialKind = 'submission' | 'worker';

export interface TokenRules {
  /** Tokens without `exp` are refused (Spark 4.1's JWSFilter accepts them). */
  readonly requireExpiration: boolean;
  /** No token may be valid for longer than this from now, nor from its `iat`. */
  readonly maxLifetimeSec: number;
}

export interface AuthConfig {
  /**
   * `off` is for local mode only: the handlers then serve loopback callers alone.
   * `network`: the caller's network is its credential; only for requests through the
   * internal load balancer, which the VPC's address range alone can reach, because stock
   * spark-submit sends no Authorization header.
   */
  readonly mode: 'jws' | 'off' | 'network';
  /** The keys each kind verifies with; the first signs. Two while a key is rotated. */
  readonly keys: Readonly<Record<CredentialKind, readonly Uint8Array[]>>;
  /** Sign and verify registered workers' credentials (derived from the submission keys). */
  readonly workerCredentialKeys: readonly Uint8Array[];
  /** Derive Spark Connect sessions' tokens (from the submission keys; the first derives). */
  readonly sessionKeys: readonly Uint8Array[];
  /** Derive the tokens a worker ships one driver's or executor's logs with (likewise). */
  readonly logKeys: readonly Uint8Array[];
  readonly rules: TokenRules;
}

/** Spark needs an HMAC key of at least 256 bits (JJWT's weak-key rule). */
const MIN_KEY_BYTES = 32;

export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

/** Decodes a key as Spark configures it: base64url of the raw bytes, padding allowed. */
export function decodeKey(name: string, encoded: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = base64url.decode(encoded.trim().replace(/=+$/, ''));
  } catch {
    throw new AuthConfigError(`${name} is not base64url`);
  }
  if (key.length < MIN_KEY_BYTES) {
    throw new AuthConfigError(
      `${name} must decode to at least ${MIN_KEY_BYTES * 8} bits, but has ${key.length * 8}`,
    );
  }
  return key;
}

/**
 * Keys as a secret or variable holds them: one, or during a rotation several separated by
 * commas or white space, the new one first (it signs; all verify).
 */
export function decodeKeys(name: string, encoded: string): Uint8Array[] {
  const parts = encoded.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0 || parts.length > 4) {
    throw new AuthConfigError(`${name} must hold one to four keys, not ${parts.length}`);
  }
  return parts.map((p, i) => decodeKey(parts.length > 1 ? `${name} #${i + 1}` : name, p));
}

/** Sparkplane's defaults: `exp` required, at most a week. */
export const DEFAULT_TOKEN_RULES: TokenRules = {
  requireExpiration: true,
  maxLifetimeSec: 7 * 24 * 3600,
};

/** `spark.sparkplane.auth.requireExpiration` and `spark.sparkplane.auth.maxTokenLifetime`. */
export function tokenRules(props: Readonly<Record<string, string>>): TokenRules {
  const require = props['spark.sparkplane.auth.requireExpiration'];
  const lifetime = props['spark.sparkplane.auth.maxTokenLifetime'];
  const maxLifetimeSec =
    lifetime === undefined ? DEFAULT_TOKEN_RULES.maxLifetimeSec : timeStringAs(lifetime, 's');
  if (maxLifetimeSec <= 0) {
    throw new PropertyError('spark.sparkplane.auth.maxTokenLifetime must be positive');
  }
  return {
    requireExpiration:
      require === undefined ? DEFAULT_TOKEN_RULES.requireExpiration : parseBoolean(require),
    maxLifetimeSec,
  };
}

const asList = (k: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] =>
  k instanceof Uint8Array ? [k] : k;

const sameKey = (a: Uint8Array, b: Uint8Array) =>
  Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

const derivedKey = (submissionKey: Uint8Array, purpose: string) =>
  new Uint8Array(hkdfSync('sha256', submissionKey, new Uint8Array(), purpose, 32));

export function jwsAuth(
  submission: Uint8Array | readonly Uint8Array[],
  worker: Uint8Array | readonly Uint8Array[],
  rules: TokenRules = DEFAULT_TOKEN_RULES,
): AuthConfig {
  const keys = { submission: asList(submission), worker: asList(worker) };
  if (keys.submission.some((s) => keys.worker.some((w) => sameKey(s, w)))) {
    throw new AuthConfigError('the submission key and the worker key must differ');
  }
  return {
    mode: 'jws',
    keys,
    workerCredentialKeys: keys.submission.map((k) => derivedKey(k, 'sparkplane worker')),
    sessionKeys: keys.submission.map((k) => derivedKey(k, 'sparkplane session')),
    logKeys: keys.submission.map((k) => derivedKey(k, 'sparkplane logs')),
    rules,
  };
}

/**
 * Local mode without keys. Sessions' tokens are derived from a key of this process: the
 * control plane that started a session shows its token, one started again no longer can.
 */
export const AUTH_OFF: AuthConfig = {
  mode: 'off',
  keys: { submission: [], worker: [] },
  workerCredentialKeys: [],
  sessionKeys: [new Uint8Array(randomBytes(32))],
  logKeys: [],
  rules: DEFAULT_TOKEN_RULES,
};

/** Trust by network, keeping the keys: drivers launched from there still get tokens. */
export const trustNetwork = (auth: AuthConfig): AuthConfig => ({ ...auth, mode: 'network' });

/** Spark's filter outcomes; `ok` lets the request through. */
export type Verdict = 'ok' | 'missing' | 'malformed' | 'invalid';

/** HS384 and HS512 verify only with keys as long as their hash, as in JJWT. */
function algorithmsFor(key: Uint8Array): string[] {
  return (
    [
      ['HS256', 32],
      ['HS384', 48],
      ['HS512', 64],
    ] as const
  )
    .filter(([, bytes]) => key.length >= bytes)
    .map(([alg]) => alg);
}

/** The scope of the token a driver gets: the application routes of its own applications. */
const DRIVER_SCOPE = 'application';
/** The scope of a registered worker's credential: that worker's routes. */
const WORKER_SCOPE = 'worker';

/** A token's lifetime within the rules; a driver's token is bounded by its driver instead. */
function withinLifetime(claims: JWTPayload, rules: TokenRules, nowSec: number): boolean {
  if (claims.exp === undefined) return !rules.requireExpiration;
  if (driverOfToken(claims) !== undefined) return true;
  const from = typeof claims.iat === 'number' ? Math.min(claims.iat, nowSec) : nowSec;
  return claims.exp - from <= rules.maxLifetimeSec;
}

/** Checks an Authorization header the way Spark's JWSFilter does; its claims when ok. */
export async function verifyToken(
  header: string | undefined,
  keys: readonly Uint8Array[],
  rules: TokenRules,
  now = Date.now(),
): Promise<{ verdict: Verdict; claims?: JWTPayload }> {
  if (header === undefined) return { verdict: 'missing' };
  if (!header.startsWith('Bearer ')) return { verdict: 'malformed' };
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(header.slice('Bearer '.length), key, {
        algorithms: algorithmsFor(key),
        currentDate: new Date(now),
      });
      if (!withinLifetime(payload, rules, Math.floor(now / 1000))) return { verdict: 'invalid' };
      return { verdict: 'ok', claims: payload };
    } catch {
      // The next key, if a rotation left two.
    }
  }
  return { verdict: 'invalid' };
}

/** What a verified header is: a submission token, the worker key's, or a worker's own. */
export type Credential =
  | { readonly kind: 'submission'; readonly claims: JWTPayload }
  | { readonly kind: 'worker'; readonly claims: JWTPayload; readonly workerId?: string };

/** Which kind of credential a header carries, if any verifies, and its claims. */
export async function credentialOf(
  header: string | undefined,
  auth: AuthConfig,
  now = Date.now(),
): Promise<Credential | undefined> {
  const check = (keys: readonly Uint8Array[]) => verifyToken(header, keys, auth.rules, now);
  const submission = await check(auth.keys.submission);
  if (submission.claims) return { kind: 'submission', claims: submission.claims };
  const bootstrap = await check(auth.keys.worker);
  if (bootstrap.claims) return { kind: 'worker', claims: bootstrap.claims };
  const own = await check(auth.workerCredentialKeys);
  if (own.claims?.scope === WORKER_SCOPE && typeof own.claims.sub === 'string') {
    return { kind: 'worker', claims: own.claims, workerId: own.claims.sub };
  }
  return undefined;
}

/** The driver a token was given to (with its LaunchDriver), if it is a driver's token. */
export const driverOfToken = (claims: JWTPayload | undefined): string | undefined =>
  claims?.scope === DRIVER_SCOPE && typeof claims.sub === 'string' ? claims.sub : undefined;

/** A signed token (HS256), for workers, tests and the CLI. */
export async function mintToken(
  key: Uint8Array,
  claims: Record<string, unknown> = {},
  ttlSec = 3600,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${ttlSec}s`)
    .sign(key);
}

/** How long a worker's credential lasts; its heartbeats renew it past half-life. */
export const WORKER_CREDENTIAL_TTL_SEC = 3600;

/** The credential a registered worker uses from then on: its routes only. */
export function workerCredential(auth: AuthConfig, workerId: string): Promise<string> | undefined {
  const [key] = auth.workerCredentialKeys;
  if (auth.mode === 'off' || !key) return undefined;
  return mintToken(key, { sub: workerId, scope: WORKER_SCOPE }, WORKER_CREDENTIAL_TTL_SEC);
}

export const isLoopback = (ip: string | undefined): boolean =>
  ip === '127.0.0.1' || ip === '::1' || (ip?.startsWith('127.') ?? false);

/**
 * The token a driver gets with its LaunchDriver, for the application routes: a submission
 * credential naming the driver, long-lived because drivers can run for days, and refused
 * the moment its driver is no longer active (lib/api/applications.ts).
 */
export async function driverToken(auth: AuthConfig, driverId: string): Promise<string | undefined> {
  const [key] = auth.keys.submission;
  if (auth.mode === 'off' || !key) return undefined;
  return mintToken(key, { sub: driverId, scope: DRIVER_SCOPE }, 30 * 24 * 3600);
}

/** Launch commands with the tokens they carry (a driver's, a session's, the logs'). */
export async function withLaunchTokens(
  auth: AuthConfig,
  byWorker: ReadonlyMap<string, readonly WorkerCommand[]>,
): Promise<Map<string, WorkerCommand[]>> {
  const out = new Map<string, WorkerCommand[]>();
  for (const [workerId, commands] of byWorker) {
    out.set(
      workerId,
      await Promise.all(
        commands.map((c) =>
          c.type === 'LaunchDriver'
            ? withTokens(auth, c)
            : c.type === 'LaunchExecutor'
              ? withLogToken(auth, c)
              : c,
        ),
      ),
    );
  }
  return out;
}

/**
 * What lets a worker ship one driver's or executor's logs, and no other's: an HMAC of the
 * owner under a key derived from the submission key, so it is checked without a read.
 */
export const logToken = (key: Uint8Array, owner: LogOwner): string =>
  createHmac('sha256', key)
    .update(`logs ${ownerName(owner)}`)
    .digest('base64url');

/** Whether a log token is this owner's (always, with auth off: loopback callers only). */
export function validLogToken(auth: AuthConfig, owner: LogOwner, token: string | undefined) {
  if (auth.mode === 'off') return true;
  if (!token) return false;
  const given = Buffer.from(token);
  return auth.logKeys.some((k) => {
    const expected = Buffer.from(logToken(k, owner));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** A LaunchExecutor with its log token. */
export function withLogToken(auth: AuthConfig, launch: LaunchExecutor): LaunchExecutor {
  const [key] = auth.logKeys;
  if (!key) return launch;
  const owner = { kind: 'executor', appId: launch.appId, executorId: launch.executorId } as const;
  return { ...launch, logToken: logToken(key, owner) };
}

/**
 * A Spark Connect session's bearer token: an HMAC of its driver id under a key derived from
 * the submission key, so it is never stored (its hash is) and can be shown again.
 */
export function sessionToken(key: Uint8Array, driverId: string): string {
  return createHmac('sha256', key).update(`session ${driverId}`).digest('base64url');
}

export const tokenHash = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

/** The session's token, if a key this control plane holds derived the hash it stored. */
export function knownSessionToken(
  auth: AuthConfig,
  driverId: string,
  hash: string,
): string | undefined {
  return auth.sessionKeys.map((k) => sessionToken(k, driverId)).find((t) => tokenHash(t) === hash);
}

/** A LaunchDriver with what its driver needs: its token, and a session's Connect token. */
export async function withTokens(auth: AuthConfig, launch: LaunchDriver): Promise<LaunchDriver> {
  const token = await driverToken(auth, launch.driverId);
  const [sessionKey] = auth.sessionKeys;
  const [logKey] = auth.logKeys;
  return {
    ...launch,
    ...(token === undefined ? {} : { token }),
    ...(logKey
      ? { logToken: logToken(logKey, { kind: 'driver', driverId: launch.driverId }) }
      : {}),
    ...(launch.session && sessionKey
      ? { connectToken: sessionToken(sessionKey, launch.driverId) }
      : {}),
  };
}
