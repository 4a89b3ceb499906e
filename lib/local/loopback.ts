// Keeps the local emulators on loopback: lib/local/loopback-bind.c, compiled once per
// machine into node_modules/.cache (it is not committed), preloaded into their processes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./loopback-bind.c', import.meta.url));
const cache = fileURLToPath(new URL('../../node_modules/.cache/sparkplane', import.meta.url));

/** The shared object to preload; built with the machine's C compiler when missing. */
export function loopbackPreload(): string {
  const digest = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const library = join(cache, `loopback-bind-${digest}.so`);
  if (existsSync(library)) return library;
  mkdirSync(cache, { recursive: true });
  const partial = `${library}.${process.pid}`;
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', partial, source, '-ldl'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new Error(
      `a C compiler (cc) is needed to keep the emulators on loopback (apt-get install -y gcc): ${(e as Error).message}`,
    );
  }
  renameSync(partial, library);
  return library;
}
