// Bearer tokens: Spark's JWSFilter (spec §a.8) for submissions, applications and the
// cluster view, and a separate worker credential signed with its own key. A token of one
// kind never verifies as the other, because the keys differ.

import { base64url, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { WorkerCommand } from '../protocol/commands.js';

export type CredentialKind = 'submission' | 'worker';

export interface AuthConfig {
  /**
   * `off` is for local mode only: the handlers then serve loopback callers alone.
   * `network`: the caller's network is its credential; only for requests through the
   * internal load balancer, which the VPC's address range alone can reach, because stock
   * spark-submit sends no Authorization header.
   */
  readonly mode: 'jws' | 'off' | 'network';
  readonly keys: Readonly<Record<CredentialKind, Uint8Array>>;
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

export function jwsAuth(submissionKey: Uint8Array, workerKey: Uint8Array): AuthConfig {
  if (Buffer.compare(Buffer.from(submissionKey), Buffer.from(workerKey)) === 0) {
    throw new AuthConfigError('the submission key and the worker key must differ');
  }
  return { mode: 'jws', keys: { submission: submissionKey, worker: workerKey } };
}

export const AUTH_OFF: AuthConfig = {
  mode: 'off',
  keys: { submission: new Uint8Array(), worker: new Uint8Array() },
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

/** Checks an Authorization header the way Spark's JWSFilter does; its claims when ok. */
export async function verifyToken(
  header: string | undefined,
  key: Uint8Array,
  now = Date.now(),
): Promise<{ verdict: Verdict; claims?: JWTPayload }> {
  if (header === undefined) return { verdict: 'missing' };
  if (!header.startsWith('Bearer ')) return { verdict: 'malformed' };
  try {
    const { payload } = await jwtVerify(header.slice('Bearer '.length), key, {
      algorithms: algorithmsFor(key),
      currentDate: new Date(now),
    });
    return { verdict: 'ok', claims: payload };
  } catch {
    return { verdict: 'invalid' };
  }
}

/** Which kind of credential a header carries, if any verifies, and its claims. */
export async function credentialOf(
  header: string | undefined,
  auth: AuthConfig,
  now = Date.now(),
): Promise<{ kind: CredentialKind; claims: JWTPayload } | undefined> {
  for (const kind of ['submission', 'worker'] as const) {
    const { verdict, claims } = await verifyToken(header, auth.keys[kind], now);
    if (verdict === 'ok' && claims) return { kind, claims };
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

export const isLoopback = (ip: string | undefined): boolean =>
  ip === '127.0.0.1' || ip === '::1' || (ip?.startsWith('127.') ?? false);

/**
 * The token a driver gets with its LaunchDriver, for the application routes: a submission
 * credential naming the driver, long-lived because drivers can run for days.
 */
export async function driverToken(auth: AuthConfig, driverId: string): Promise<string | undefined> {
  if (auth.mode === 'off') return undefined;
  return mintToken(auth.keys.submission, { sub: driverId, scope: DRIVER_SCOPE }, 30 * 24 * 3600);
}

/** Launch commands with each LaunchDriver carrying its driver's token. */
export async function withDriverTokens(
  auth: AuthConfig,
  byWorker: ReadonlyMap<string, readonly WorkerCommand[]>,
): Promise<Map<string, WorkerCommand[]>> {
  const out = new Map<string, WorkerCommand[]>();
  for (const [workerId, commands] of byWorker) {
    out.set(
      workerId,
      await Promise.all(
        commands.map(async (c) => {
          if (c.type !== 'LaunchDriver') return c;
          const token = await driverToken(auth, c.driverId);
          return token === undefined ? c : { ...c, token };
        }),
      ),
    );
  }
  return out;
}
