import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { findExecutable, sharingFate } from '../../../lib/worker/fate.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('children that share their parent’s fate', () => {
  it('finds executables as spawn does; leaves a missing command for spawn to report', () => {
    expect(findExecutable('sh')).toMatch(/\/sh$/);
    expect(findExecutable('sh', '')).toBeUndefined();
    expect(findExecutable('/nonexistent/java/bin/java')).toBeUndefined();
    expect(sharingFate(['/nonexistent/java/bin/java', '-version'])).toEqual([
      '/nonexistent/java/bin/java',
      '-version',
    ]);
  });

  it.runIf(process.platform === 'linux')(
    'a grandchild dies when its parent is SIGKILLed',
    async () => {
      expect(sharingFate(['sleep', '60']).slice(0, 4)).toEqual([
        findExecutable('setpriv'),
        '--pdeathsig',
        'KILL',
        '--',
      ]);
      // A parent that starts `sleep 60` through sharingFate and prints its pid.
      const script = `
        const { spawn } = require('node:child_process');
        const argv = ${JSON.stringify(sharingFate(['sleep', '60']))};
        const c = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true });
        c.once('spawn', () => console.log(c.pid));
        setInterval(() => {}, 1000);`;
      const parent = spawn(process.execPath, ['-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const pid = Number(line.toString().trim());
      expect(alive(pid)).toBe(true);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(alive(pid)).toBe(false);
    },
    // Two processes start on a machine the e2e tests keep busy: seconds, at worst.
    30_000,
  );
});
