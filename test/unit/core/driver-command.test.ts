import { describe, expect, it } from 'vitest';
import { driverCommand, parseDriverTemplates } from '../../../lib/core/driver-command.js';
import type { DriverDescription } from '../../../lib/core/model.js';
import { DOCS_CREATE_REQUEST, DOCS_SPARK_PROPERTIES } from '../../fixtures/spark-docs.js';
import { aDriver } from './fixtures.js';

/** The driver Spark's REST documentation submits (spec §a.7). */
const docsExample: DriverDescription = {
  ...aDriver({ id: 'x' }).description,
  appResource: DOCS_CREATE_REQUEST.appResource,
  mainClass: DOCS_CREATE_REQUEST.mainClass,
  appArgs: DOCS_CREATE_REQUEST.appArgs,
  sparkProperties: { ...DOCS_SPARK_PROPERTIES, 'spark.submit.deployMode': 'cluster' },
  environmentVariables: { SPARK_ENV_LOADED: '1' },
  cores: 1,
  memoryMb: 1024,
};

describe('driver commands', () => {
  it("Spark's docs example runs spark-submit in client mode against the control plane", () => {
    const command = driverCommand('driver-1', docsExample);
    expect(command.argv).toEqual([
      '{{SPARK_HOME}}/bin/spark-submit',
      '--master',
      '{{SPARKPLANE_MASTER}}',
      '--deploy-mode',
      'client',
      '--driver-memory',
      '1024m',
      '--driver-class-path',
      '{{SPARKPLANE_JAR}}',
      '--conf',
      'spark.app.name=Spark Pi',
      '--conf',
      'spark.driver.memory=1g',
      '--conf',
      'spark.driver.cores=1',
      '--conf',
      'spark.jars=',
      '--conf',
      'spark.driver.host={{HOSTNAME}}',
      '/opt/spark/examples/src/main/python/pi.py',
      '10',
    ]);
    expect(command.env).toMatchObject({ SPARK_ENV_LOADED: '1', SPARKPLANE_DRIVER_ID: 'driver-1' });
    expect(JSON.parse(command.env.SPARKPLANE_SPARK_PROPERTIES ?? '')).toEqual(
      docsExample.sparkProperties,
    );
  });

  it('a user main class runs with --class and the application jar', () => {
    const command = driverCommand('d', {
      ...docsExample,
      mainClass: 'org.apache.spark.examples.SparkPi',
      appResource: 'file:/opt/spark/examples/jars/spark-examples.jar',
      appArgs: ['100'],
      sparkProperties: { 'spark.driver.extraClassPath': '/opt/lib/a.jar' },
      cores: 2,
    });
    // The submission's own driver class path follows the plugin's.
    expect(command.argv).toEqual([
      '{{SPARK_HOME}}/bin/spark-submit',
      '--master',
      '{{SPARKPLANE_MASTER}}',
      '--deploy-mode',
      'client',
      '--driver-memory',
      '1024m',
      '--driver-class-path',
      '{{SPARKPLANE_JAR}}:/opt/lib/a.jar',
      '--conf',
      'spark.driver.host={{HOSTNAME}}',
      '--class',
      'org.apache.spark.examples.SparkPi',
      'file:/opt/spark/examples/jars/spark-examples.jar',
      '100',
    ]);
  });

  it("a JavaScript driver runs on the worker's node", () => {
    const command = driverCommand('d', {
      ...docsExample,
      appResource: '/srv/examples/pi/driver.mjs',
      appArgs: ['20'],
    });
    expect(command.argv).toEqual(['{{NODE}}', '/srv/examples/pi/driver.mjs', '20']);
  });

  it('configured templates: the first match wins, placeholders anywhere in an argument', () => {
    const templates = parseDriverTemplates(
      JSON.stringify([
        {
          mainClass: '^com\\.acme\\.',
          argv: ['/opt/acme/run', '--id={{DRIVER_ID}}', '{{APP_ARGS}}'],
        },
        { argv: ['/bin/false'] },
      ]),
    );
    expect(
      driverCommand('d-7', { ...docsExample, mainClass: 'com.acme.Job' }, templates).argv,
    ).toEqual(['/opt/acme/run', '--id=d-7', '/opt/spark/examples/src/main/python/pi.py', '10']);
    expect(driverCommand('d-8', docsExample, templates).argv).toEqual(['/bin/false']);
  });

  it('bad templates are refused with the reason', () => {
    expect(() => parseDriverTemplates('{')).toThrow(/not JSON/);
    expect(() => parseDriverTemplates('[]')).toThrow(/non-empty/);
    expect(() => parseDriverTemplates('[{"argv":[]}]')).toThrow(/argv/);
    expect(() => parseDriverTemplates('[{"argv":["x"],"mainClass":"("}]')).toThrow(/regular/);
    expect(() =>
      driverCommand('d', docsExample, parseDriverTemplates('[{"mainClass":"^x$","argv":["a"]}]')),
    ).toThrow(/no driver template/);
  });
});
