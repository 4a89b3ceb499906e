// User code on a worker is untrusted: drivers and executors run as another, unprivileged
// user than the agent (when the agent may switch users), with an environment built from an
// allow-list, in directories private to that user. Another user cannot read the agent's
// /proc/<pid>/environ or memory, so the worker key and whatever credentials the task has
// stay out of its reach.
import { chmodSync, chownSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** The user drivers and executors run as. */
export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The agent's variables a driver or executor may see: what Spark's launch scripts, the JVM
 * and Python need. Everything else (the worker key, AWS_* and the ECS credential endpoint
 * variables, whatever the agent was started with) stays with the agent.
 */
const ALLOWED = new Set([
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'JAVA_HOME',
  'SPARK_HOME',
  'SPARK_CONF_DIR',
  'SPARK_SCALA_VERSION',
  'SPARK_DIST_CLASSPATH',
  'HADOOP_CONF_DIR',
  'YARN_CONF_DIR',
  'PYSPARK_PYTHON',
  'PYSPARK_DRIVER_PYTHON',
  'PYTHONPATH',
  'SPARK_LOCAL_IP',
  'SPARK_LOCAL_HOSTNAME',
  'SPARK_PUBLIC_DNS',
]);

/**
 * A child's environment: the allow-listed part of the agent's (plus the names in
 * SPARKPLANE_CHILD_ENV, a comma list a deployer may add), then what the launch sets. HOME
 * and USER name the run-as user, HOME being the child's own directory.
 */
export function childEnvironment(
  agentEnv: NodeJS.ProcessEnv,
  launch: Readonly<Record<string, string>>,
  who: { readonly home: string; readonly user?: string },
): Record<string, string> {
  const extra = new Set(
    (agentEnv.SPARKPLANE_CHILD_ENV ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n.length > 0 && !n.startsWith('SPARKPLANE_')),
  );
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(agentEnv)) {
    if (value === undefined) continue;
    if (ALLOWED.has(name) || name.startsWith('LC_') || extra.has(name)) env[name] = value;
  }
  env.HOME = who.home;
  if (who.user) {
    env.USER = who.user;
    env.LOGNAME = who.user;
  }
  return { ...env, ...launch };
}

/** A user by name or numeric uid, from /etc/passwd. */
export function lookUpUser(spec: string, passwd = readFileSync('/etc/passwd', 'utf8')): RunAs {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (name === spec || uid === spec) return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`no user ${spec} in /etc/passwd`);
}

/**
 * Whom to run user code as: SPARKPLANE_RUN_AS names the user (empty: the agent's own);
 * unset, an agent running as root uses `nobody`. Only root may switch users, so an agent
 * that is not root runs user code as itself, and says so.
 */
export function chooseRunAs(
  spec: string | undefined,
  agentUid: number,
  lookUp: (spec: string) => RunAs = lookUpUser,
): { runAs?: RunAs; warning?: string } {
  const wanted = spec ?? (agentUid === 0 ? 'nobody' : '');
  if (wanted === '') {
    const why = spec === '' ? 'SPARKPLANE_RUN_AS is empty' : 'the agent is not root';
    return {
      warning: `${why}: drivers and executors run as the agent's user and can read its key`,
    };
  }
  const user = lookUp(wanted);
  if (user.uid === agentUid) {
    return { warning: `SPARKPLANE_RUN_AS=${wanted} is the agent's own user: nothing is separated` };
  }
  if (agentUid !== 0) {
    throw new Error(`only root may run user code as ${wanted}; unset SPARKPLANE_RUN_AS`);
  }
  return { runAs: user };
}

/**
 * A directory only `owner` may use (0700), under parents it may only pass through (0711):
 * what one run of user code writes.
 */
export function privateDir(path: string, owner: RunAs | undefined): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
  if (owner) chownSync(path, owner.uid, owner.gid);
}

/** A directory the run-as user may pass through but not list (the work directory, an app's). */
export function passThroughDir(path: string, separated: boolean): void {
  const mode = separated ? 0o711 : 0o700;
  mkdirSync(path, { recursive: true, mode });
  // Whatever the umask (or an existing directory's mode) says.
  chmodSync(path, mode);
}

/** Whether a user other than the owner may reach `path` and run it (o+x up the tree). */
export function othersCanRun(path: string): boolean {
  let dir = realpathSync(path);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
    dir = dirname(dir);
  }
}
