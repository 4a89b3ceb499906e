import { describe, expect, it } from 'vitest';
import { childEnvironment, chooseRunAs, lookUpUser } from '../../../lib/worker/isolation.js';

const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\nspark:x:185:185::/opt/spark:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const lookUp = (spec: string) => lookUpUser(spec, PASSWD);

describe("a driver's or executor's environment", () => {
  it('holds the allow-list and its launch, never the agent secrets or AWS credentials', () => {
    const agent = {
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      JAVA_HOME: '/usr/lib/jvm/17',
      SPARKPLANE_WORKER_KEY: 'key',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x',
      AWS_SECRET_ACCESS_KEY: 'secret',
      ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x',
      HOME: '/root',
      CUSTOM: 'c',
      SPARKPLANE_CHILD_ENV: 'CUSTOM,SPARKPLANE_WORKER_KEY',
    };
    const env = childEnvironment(agent, { SPARKPLANE_TOKEN: 't' }, { home: '/w/d', user: 'spark' });
    expect(env).toEqual({
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      JAVA_HOME: '/usr/lib/jvm/17',
      CUSTOM: 'c',
      HOME: '/w/d',
      USER: 'spark',
      LOGNAME: 'spark',
      SPARKPLANE_TOKEN: 't',
    });
  });
});

describe('whom user code runs as', () => {
  it('another user when the agent is root (nobody unless named); itself otherwise, said', () => {
    expect(chooseRunAs(undefined, 0, lookUp)).toEqual({
      runAs: { name: 'nobody', uid: 65_534, gid: 65_534 },
    });
    expect(chooseRunAs('spark', 0, lookUp).runAs).toEqual({ name: 'spark', uid: 185, gid: 185 });
    expect(chooseRunAs('185', 0, lookUp).runAs?.name).toBe('spark');
    expect(chooseRunAs(undefined, 1000, lookUp).warning).toContain('the agent is not root');
    expect(chooseRunAs('', 0, lookUp).warning).toContain('SPARKPLANE_RUN_AS is empty');
    expect(chooseRunAs('', 0, lookUp).runAs).toBeUndefined();
    expect(() => chooseRunAs('spark', 1000, lookUp)).toThrow('only root');
    expect(chooseRunAs('root', 0, lookUp).warning).toContain('nothing is separated');
    expect(() => chooseRunAs('nosuch', 0, lookUp)).toThrow('no user nosuch');
  });
});
