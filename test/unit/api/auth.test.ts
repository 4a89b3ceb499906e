// Token rules and key rotation (lib/api/auth.ts), on tokens jose signs.
import { randomBytes } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AUTH_OFF,
  AuthConfigError,
  credentialOf,
  DEFAULT_TOKEN_RULES,
  decodeKeys,
  jwsAuth,
  knownSessionToken,
  mintToken,
  sessionToken,
  tokenHash,
  tokenRules,
  verifyToken,
  withTokens,
  workerCredential,
} from '../../../lib/api/auth.js';
import type { LaunchDriver } from '../../../lib/protocol/commands.js';

const bearer = (t: string) => `Bearer ${t}`;
const nowSec = () => Math.floor(Date.now() / 1000);

describe('token rules', () => {
  const key = randomBytes(32);
  const keys = [key];
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);

  it('need exp, within the maximum lifetime from now and from iat', async () => {
    const verdict = async (claims: Record<string, unknown>, rules = DEFAULT_TOKEN_RULES) =>
      (await verifyToken(bearer(await sign(claims)), keys, rules)).verdict;
    expect(await verdict({})).toBe('invalid');
    expect(await verdict({ exp: 1e300 })).toBe('invalid');
    expect(await verdict({ exp: nowSec() + 8 * 24 * 3600 })).toBe('invalid');
    expect(await verdict({ iat: nowSec() - 86_400, exp: nowSec() + 7 * 86_400 })).toBe('invalid');
    expect(await verdict({ exp: nowSec() + 3600 })).toBe('ok');
    // Spark's JWSFilter takes a token without exp: so does requireExpiration=false.
    const sparkLike = tokenRules({ 'spark.sparkplane.auth.requireExpiration': 'false' });
    expect(await verdict({}, sparkLike)).toBe('ok');
    const short = tokenRules({ 'spark.sparkplane.auth.maxTokenLifetime': '10min' });
    expect(await verdict({ exp: nowSec() + 3600 }, short)).toBe('invalid');
  });

  it('are read from the properties, and refused when they make no sense', () => {
    expect(tokenRules({})).toEqual(DEFAULT_TOKEN_RULES);
    expect(() => tokenRules({ 'spark.sparkplane.auth.maxTokenLifetime': '0s' })).toThrow(
      'must be positive',
    );
    expect(() => tokenRules({ 'spark.sparkplane.auth.requireExpiration': 'yes' })).toThrow();
  });
});

describe('key rotation: two keys accepted during a change', () => {
  const [older, newer, worker] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const before = jwsAuth(older, worker);
  const during = jwsAuth(
    decodeKeys('k', `${base64url.encode(newer)},${base64url.encode(older)}`),
    worker,
  );
  const after = jwsAuth(newer, worker);

  it('old and new tokens verify during the change; the new key signs; after it, only new', async () => {
    const old = bearer(await mintToken(older));
    const fresh = bearer(await mintToken(newer));
    expect((await credentialOf(old, during))?.kind).toBe('submission');
    expect((await credentialOf(fresh, during))?.kind).toBe('submission');
    expect(await credentialOf(old, after)).toBeUndefined();
    // Workers' credentials: the one issued before still works during the change.
    const issuedBefore = bearer((await workerCredential(before, 'worker-1')) as string);
    const issuedDuring = bearer((await workerCredential(during, 'worker-1')) as string);
    expect(await credentialOf(issuedBefore, during)).toMatchObject({ workerId: 'worker-1' });
    expect(await credentialOf(issuedDuring, after)).toMatchObject({ workerId: 'worker-1' });
    expect(await credentialOf(issuedBefore, after)).toBeUndefined();
  });

  it('keys parse one to four, each checked', () => {
    expect(decodeKeys('k', base64url.encode(older))).toHaveLength(1);
    expect(() => decodeKeys('k', '')).toThrow(AuthConfigError);
    expect(() => decodeKeys('k', `${base64url.encode(older)} short`)).toThrow('k #2');
    expect(() => jwsAuth([older, newer], [worker, newer])).toThrow('must differ');
  });
});

describe("a worker's credential", () => {
  const auth = jwsAuth(randomBytes(32), randomBytes(32));

  it('names its worker and is signed with a key no worker holds', async () => {
    const credential = bearer((await workerCredential(auth, 'worker-7')) as string);
    expect(await credentialOf(credential, auth)).toMatchObject({
      kind: 'worker',
      workerId: 'worker-7',
    });
    // The worker key verifies only the bootstrap token it signs, which names no worker.
    const [workerKey] = auth.keys.worker;
    const forged = bearer(
      await mintToken(workerKey as Uint8Array, { sub: 'worker-7', scope: 'worker' }),
    );
    expect(await credentialOf(forged, auth)).toMatchObject({ kind: 'worker' });
    expect((await credentialOf(forged, auth)) as { workerId?: string }).not.toHaveProperty(
      'workerId',
    );
  });
});

describe('Spark Connect sessions’ tokens', () => {
  const launch: LaunchDriver = {
    type: 'LaunchDriver',
    driverId: 'driver-1',
    cores: 1,
    memoryMb: 1024,
    resources: {},
    supervise: false,
    command: { argv: ['x'], env: {}, expand: [] },
  };

  it('are derived per driver from the submission key, never the key itself', () => {
    const auth = jwsAuth(randomBytes(32), randomBytes(32));
    const [key] = auth.sessionKeys;
    if (!key) throw new Error('no session key');
    const a = sessionToken(key, 'driver-1');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionToken(key, 'driver-2')).not.toBe(a);
    expect(Buffer.from(key).equals(Buffer.from(auth.keys.submission[0] ?? []))).toBe(false);
    expect(knownSessionToken(auth, 'driver-1', tokenHash(a))).toBe(a);
    expect(knownSessionToken(auth, 'driver-2', tokenHash(a))).toBeUndefined();
  });

  it('are shown again during a key rotation, and not after the old key is gone', () => {
    const [old, next] = [randomBytes(32), randomBytes(32)];
    const worker = randomBytes(32);
    const before = jwsAuth(old, worker);
    const token = sessionToken(before.sessionKeys[0] as Uint8Array, 'driver-1');
    const during = jwsAuth([next, old], worker);
    expect(knownSessionToken(during, 'driver-1', tokenHash(token))).toBe(token);
    expect(knownSessionToken(jwsAuth(next, worker), 'driver-1', tokenHash(token))).toBeUndefined();
  });

  it('go with the launch of a session only, also with auth off', async () => {
    const auth = jwsAuth(randomBytes(32), randomBytes(32));
    const plain = await withTokens(auth, launch);
    expect(plain.token).toBeDefined();
    expect(plain.connectToken).toBeUndefined();
    const session = await withTokens(auth, { ...launch, session: true });
    expect(session.connectToken).toBe(sessionToken(auth.sessionKeys[0] as Uint8Array, 'driver-1'));
    const off = await withTokens(AUTH_OFF, { ...launch, session: true });
    expect(off.token).toBeUndefined();
    expect(off.connectToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
