import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, profilesPath, resolveTarget } from '../../../lib/cli/config.js';
import { CliError } from '../../../lib/cli/errors.js';

const file = '/home/u/.config/sparkplane/profiles.json';
const profiles = (value: unknown) => ({ path: file, text: JSON.stringify(value) });
const none = { path: file, text: undefined };
const two = profiles({
  profiles: {
    default: { url: 'http://default:6066', token: 'default-token' },
    prod: { url: 'https://api.example.com/', token: 'prod-token' },
  },
});

/** The usage error (exit code 2) a call throws. */
const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('where the CLI sends its requests', () => {
  it("is npm start's address, with no token, when nothing is configured", () => {
    expect(resolveTarget({}, {}, none)).toEqual({ url: DEFAULT_URL });
  });

  it('takes --url over SPARKPLANE_URL over the profile, and --token likewise', () => {
    const env = { SPARKPLANE_URL: 'http://env:1', SPARKPLANE_TOKEN: 'env-token' };
    expect(resolveTarget({ url: 'http://flag:2', token: 't' }, env, two)).toEqual({
      url: 'http://flag:2',
      token: 't',
      tokenSource: '--token',
    });
    expect(resolveTarget({}, env, two)).toEqual({
      url: 'http://env:1',
      token: 'env-token',
      tokenSource: 'SPARKPLANE_TOKEN',
    });
    expect(resolveTarget({}, {}, two)).toEqual({
      url: 'http://default:6066',
      token: 'default-token',
      tokenSource: `profile "default" of ${file}`,
    });
  });

  it('reads the profile named by --profile, else SPARKPLANE_PROFILE; an empty variable is unset', () => {
    expect(resolveTarget({ profile: 'prod' }, {}, two).url).toBe('https://api.example.com');
    expect(resolveTarget({}, { SPARKPLANE_PROFILE: 'prod' }, two).token).toBe('prod-token');
    expect(resolveTarget({}, { SPARKPLANE_PROFILE: '', SPARKPLANE_TOKEN: '' }, two)).toEqual({
      url: 'http://default:6066',
      token: 'default-token',
      tokenSource: `profile "default" of ${file}`,
    });
  });

  it('refuses a profile that was named but is not there, naming the ones that are', () => {
    expect(usage(() => resolveTarget({ profile: 'dev' }, {}, two))).toBe(
      `no profile "dev" in ${file} (it has: default, prod)`,
    );
    expect(usage(() => resolveTarget({}, { SPARKPLANE_PROFILE: 'dev' }, none))).toBe(
      `no profile "dev": ${file} does not exist`,
    );
    // The default profile is optional.
    expect(resolveTarget({}, {}, profiles({ profiles: {} }))).toEqual({ url: DEFAULT_URL });
  });

  it('refuses a profiles file of another shape, and a URL that is not http(s)', () => {
    expect(usage(() => resolveTarget({}, {}, { path: file, text: '{' }))).toMatch(
      new RegExp(`^${file} is not JSON: `),
    );
    expect(usage(() => resolveTarget({}, {}, profiles({ default: {} })))).toMatch(/must be \{/);
    expect(
      usage(() => resolveTarget({}, {}, profiles({ profiles: { default: { url: 1 } } }))),
    ).toBe(`profile "default" in ${file}: url and token must be strings`);
    expect(usage(() => resolveTarget({ url: '127.0.0.1:6066' }, {}, none))).toBe(
      '127.0.0.1:6066 (--url) is not an http:// or https:// URL',
    );
    expect(usage(() => resolveTarget({}, { SPARKPLANE_URL: 'ftp://x' }, none))).toBe(
      'ftp://x (SPARKPLANE_URL) is not an http:// or https:// URL',
    );
  });

  it('finds the profiles file at $SPARKPLANE_CONFIG, else under ~/.config', () => {
    expect(profilesPath({}, '/home/u')).toBe(file);
    expect(profilesPath({ SPARKPLANE_CONFIG: '/etc/p.json' }, '/home/u')).toBe('/etc/p.json');
  });
});
