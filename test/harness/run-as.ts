// Workers run user code as another user (`nobody`, when the tests run as root). What that
// user runs must be reachable by it: a Python under a private home (pyenv's, in /root) is
// not, so PySpark clusters then keep user code as the agent's user.
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Whether a user other than the owner may reach and run `path` (o+x up the tree). */
export function othersCanRun(path: string): boolean {
  let dir = realpathSync(path);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
    dir = dirname(dir);
  }
}
