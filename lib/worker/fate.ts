// Children that die with the process that started them, however it dies, as Spark's drivers
// and executors die with their worker (WorkerWatcher): Linux's parent-death signal, set by
// util-linux's setpriv just before it execs the command. Where there is no setpriv, children
// start as they are.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** An executable as spawn finds it: a name with a slash as given, any other on the PATH. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : path
        .split(delimiter)
        .filter((dir) => dir.length > 0)
        .map((dir) => join(dir, name));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const setpriv = process.platform === 'linux' ? findExecutable('setpriv') : undefined;

/**
 * `argv` as a child that gets SIGKILL when its parent dies. A command that is not found
 * stays as it is, so that spawn reports it (ENOENT) as it would have.
 */
export function sharingFate(argv: readonly string[]): string[] {
  const [command] = argv;
  if (!setpriv || command === undefined || !findExecutable(command)) return [...argv];
  return [setpriv, '--pdeathsig', 'KILL', '--', ...argv];
}
