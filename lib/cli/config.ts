// Where the CLI sends its requests and with which token: the flags, then the environment,
// then a profile of the profiles file, then npm start's address. Pure: the caller reads the
// file.

import { join } from 'node:path';
import { usageError } from './errors.js';

/** `npm start`'s address: Spark's REST port on loopback. */
export const DEFAULT_URL = 'http://127.0.0.1:6066';

export interface Target {
  /** The API's base URL, without a trailing slash (a deployed API's may have a path). */
  readonly url: string;
  readonly token?: string;
  /** Where the token came from, to name when it is refused. */
  readonly tokenSource?: string;
}

export interface TargetFlags {
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  readonly profile?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export const profilesPath = (env: Env, home: string): string =>
  env.SPARKPLANE_CONFIG || join(home, '.config', 'sparkplane', 'profiles.json');

interface Profile {
  readonly url?: string;
  readonly token?: string;
}

/** The named profile; none when the default one is asked for and there is no such entry. */
function profile(file: string, text: string | undefined, name: string, named: boolean) {
  if (text === undefined) {
    if (named) throw usageError(`no profile "${name}": ${file} does not exist`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const profiles = (parsed as { profiles?: unknown } | null)?.profiles;
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
    throw usageError(`${file} must be {"profiles": {"<name>": {"url": …, "token": …}}}`);
  }
  const entry = Object.hasOwn(profiles, name)
    ? (profiles as Record<string, unknown>)[name]
    : undefined;
  if (entry === undefined) {
    if (!named) return undefined;
    const names = Object.keys(profiles).join(', ') || 'none';
    throw usageError(`no profile "${name}" in ${file} (it has: ${names})`);
  }
  const { url, token } = (entry ?? {}) as Record<string, unknown>;
  if (
    (url !== undefined && typeof url !== 'string') ||
    (token !== undefined && typeof token !== 'string')
  ) {
    throw usageError(`profile "${name}" in ${file}: url and token must be strings`);
  }
  return { url, token } as Profile;
}

/** The first value set (an empty one is unset), with where it came from. */
const first = (...candidates: [string | undefined, string][]) =>
  candidates.find(([value]) => value !== undefined && value !== '') as [string, string] | undefined;

export function resolveTarget(
  flags: TargetFlags,
  env: Env,
  profiles: { readonly path: string; readonly text: string | undefined },
): Target {
  const named = first([flags.profile, '--profile'], [env.SPARKPLANE_PROFILE, 'SPARKPLANE_PROFILE']);
  const name = named?.[0] ?? 'default';
  const p = profile(profiles.path, profiles.text, name, named !== undefined);
  const fromProfile = `profile "${name}" of ${profiles.path}`;
  const [url, urlSource] = first(
    [flags.url, '--url'],
    [env.SPARKPLANE_URL, 'SPARKPLANE_URL'],
    [p?.url, fromProfile],
  ) ?? [DEFAULT_URL, 'the default'];
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw usageError(`${url} (${urlSource}) is not an http:// or https:// URL`);
  }
  const token = first(
    [flags.token, '--token'],
    [env.SPARKPLANE_TOKEN, 'SPARKPLANE_TOKEN'],
    [p?.token, fromProfile],
  );
  return {
    url: url.replace(/\/+$/, ''),
    ...(token ? { token: token[0], tokenSource: token[1] } : {}),
  };
}
