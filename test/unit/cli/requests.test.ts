import { describe, expect, it } from 'vitest';
import type { CliError } from '../../../lib/cli/errors.js';
import {
  createSubmissionRequest,
  listQueries,
  listRoute,
  logPage,
  logRoute,
  parseConf,
  sparkMasterUrl,
} from '../../../lib/cli/requests.js';
import { parseCreateSubmissionRequest } from '../../../lib/protocol/spark-rest.js';

const submit = {
  appResource: 'examples/pi/driver.mjs',
  appArgs: ['4', '--slices', '10'],
  conf: {},
  supervise: false,
  apiUrl: 'http://127.0.0.1:6066',
  cwd: '/work',
};

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect((e as CliError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe("submit's CreateSubmissionRequest", () => {
  it("is spark-submit's in cluster mode, which the REST server reads without unknown fields", () => {
    const request = createSubmissionRequest(submit);
    expect(request).toEqual({
      action: 'CreateSubmissionRequest',
      appResource: '/work/examples/pi/driver.mjs',
      mainClass: 'driver.mjs',
      appArgs: ['4', '--slices', '10'],
      clientSparkVersion: '4.1.1',
      sparkProperties: {
        'spark.app.name': 'driver.mjs',
        'spark.master': 'spark://127.0.0.1:6066',
        'spark.submit.deployMode': 'cluster',
        'spark.driver.supervise': 'false',
      },
      environmentVariables: {},
    });
    const parsed = parseCreateSubmissionRequest(JSON.stringify(request));
    expect(parsed.ok && parsed.unknownFields).toEqual([]);
  });

  it('names the application as SparkSubmit: --name, spark.app.name, the main class, the file', () => {
    const name = (o: object) =>
      createSubmissionRequest({ ...submit, ...o }).sparkProperties['spark.app.name'];
    const conf = { 'spark.app.name': 'from conf' };
    expect(name({ name: 'mine', conf })).toBe('mine');
    expect(name({ conf })).toBe('from conf');
    expect(name({ appResource: 'app.jar', mainClass: 'org.example.Main' })).toBe(
      'org.example.Main',
    );
    expect(name({ appResource: 'jobs/etl.py' })).toBe('etl.py');
  });

  it('keeps --conf properties, but its own options win, as they do over spark-submit --conf', () => {
    const { sparkProperties } = createSubmissionRequest({
      ...submit,
      supervise: true,
      conf: {
        'spark.driver.memory': '512m',
        'spark.master': 'local',
        'spark.driver.supervise': 'false',
      },
    });
    expect(sparkProperties).toMatchObject({
      'spark.driver.memory': '512m',
      'spark.master': 'spark://127.0.0.1:6066',
      'spark.driver.supervise': 'true',
    });
  });

  it('picks the main class from the resource; a jar needs --class', () => {
    const mainClass = (appResource: string, given?: string) =>
      createSubmissionRequest({ ...submit, appResource, mainClass: given }).mainClass;
    expect(mainClass('pi.py')).toBe('org.apache.spark.deploy.PythonRunner');
    expect(mainClass('job.js')).toBe('job.js');
    expect(mainClass('app.jar', 'org.example.Main')).toBe('org.example.Main');
    expect(usage(() => mainClass('app.jar'))).toBe(
      'app.jar needs --class <main class> (only .py, .js and .mjs do not)',
    );
  });

  it('makes a relative path absolute (the driver runs elsewhere) and leaves URIs as they are', () => {
    const resource = (appResource: string) =>
      createSubmissionRequest({ ...submit, appResource }).appResource;
    expect(resource('../pi.py')).toBe('/pi.py');
    expect(resource('/opt/app.py')).toBe('/opt/app.py');
    expect(resource('s3://bucket/app.py')).toBe('s3://bucket/app.py');
    expect(resource('local:/opt/app.py')).toBe('local:/opt/app.py');
  });

  it("sets spark.master to the API's host and port, the scheme's port when none is given", () => {
    expect(sparkMasterUrl('http://127.0.0.1:6066')).toBe('spark://127.0.0.1:6066');
    expect(sparkMasterUrl('https://abc.execute-api.eu-west-1.amazonaws.com/prod')).toBe(
      'spark://abc.execute-api.eu-west-1.amazonaws.com:443',
    );
    expect(sparkMasterUrl('http://[::1]:8080')).toBe('spark://[::1]:8080');
  });

  it('reads --conf key=value, the last of a key winning; a pair without = is a usage error', () => {
    expect(parseConf(['a=1', 'b=x=y', 'a=2', '__proto__=p'])).toEqual(
      Object.fromEntries([
        ['a', '2'],
        ['b', 'x=y'],
        ['__proto__', 'p'],
      ]),
    );
    expect(usage(() => parseConf(['spark.driver.memory']))).toBe(
      '--conf expects key=value, not spark.driver.memory',
    );
    expect(usage(() => parseConf(['=x']))).toMatch(/key=value/);
  });
});

describe("list's queries", () => {
  it('reads both listings, each with the states it knows, skipping one that knows none', () => {
    const both = ['drivers', 'applications'] as const;
    expect(listQueries(both, [''])).toEqual([
      { kind: 'drivers', states: [] },
      { kind: 'applications', states: [] },
    ]);
    expect(listQueries(both, ['running', ' WAITING', 'SUBMITTED'])).toEqual([
      { kind: 'drivers', states: ['RUNNING', 'SUBMITTED'] },
      { kind: 'applications', states: ['RUNNING', 'WAITING'] },
    ]);
    expect(listQueries(both, ['WAITING'])).toEqual([{ kind: 'applications', states: ['WAITING'] }]);
  });

  it('refuses a state no listing asked for knows', () => {
    expect(usage(() => listQueries(['drivers'], ['WAITING']))).toBe(
      '--state: WAITING is not one of SUBMITTED, RUNNING, FINISHED, RELAUNCHING, UNKNOWN, KILLED, FAILED, ERROR',
    );
  });

  it('pages with limit, state and cursor', () => {
    expect(listRoute('drivers', [], 20)).toBe('/v1/drivers?limit=20');
    expect(listRoute('applications', ['RUNNING', 'WAITING'], 1000, 'abc+/=')).toBe(
      '/v1/applications?limit=1000&state=RUNNING%2CWAITING&cursor=abc%2B%2F%3D',
    );
  });
});

describe('log routes', () => {
  it("reads a driver's log, or an executor's as <appId>/<executorId>", () => {
    expect(logRoute('driver-20250101000000-0001', 'stdout')).toBe(
      '/v1/drivers/driver-20250101000000-0001/logs/stdout',
    );
    expect(logRoute('app-20250101000000-0002/3', 'stderr')).toBe(
      '/v1/applications/app-20250101000000-0002/executors/3/logs/stderr',
    );
    expect(usage(() => logRoute('app-1/x', 'stdout'))).toBe(
      'app-1/x: expected a driver id or <appId>/<executorId>',
    );
  });

  it('asks for a page from a byte, following with a long poll', () => {
    expect(logPage('/v1/drivers/d/logs/stdout', 0, false)).toBe('/v1/drivers/d/logs/stdout?from=0');
    expect(logPage('/v1/drivers/d/logs/stdout', 42, true)).toBe(
      '/v1/drivers/d/logs/stdout?from=42&follow=true&waitSec=20',
    );
  });
});
