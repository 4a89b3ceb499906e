// The driver description built from a create request (spec §a.6).

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRIVER_CORES,
  DEFAULT_DRIVER_MEMORY_MB,
  type DriverDescriptionResult,
  driverDescription,
  type SubmissionRequest,
} from '../../../lib/core/submission.js';
import { parseCreateSubmissionRequest } from '../../../lib/protocol/spark-rest.js';
import { DOCS_CREATE_REQUEST, DOCS_SPARK_PROPERTIES } from '../../fixtures/spark-docs.js';

const none = { placeholder: () => undefined };

function aRequest(overrides: Partial<SubmissionRequest> = {}): SubmissionRequest {
  return {
    appResource: 's3://bucket/app.jar',
    mainClass: 'org.example.Main',
    appArgs: ['a', 'b'],
    sparkProperties: { 'spark.app.name': 'app' },
    environmentVariables: {},
    ...overrides,
  };
}

function described(result: DriverDescriptionResult) {
  if (!result.ok) throw new Error(`expected a description, got: ${result.message}`);
  return result.description;
}

function refused(result: DriverDescriptionResult): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.description)}`);
  return result.message;
}

const withProps = (props: Record<string, string>) =>
  aRequest({ sparkProperties: { 'spark.app.name': 'app', ...props } });

describe('driverDescription', () => {
  it('builds the docs example (spec §a.7)', () => {
    const parsed = parseCreateSubmissionRequest(JSON.stringify(DOCS_CREATE_REQUEST));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(described(driverDescription(parsed.request, none))).toEqual({
      appResource: '',
      mainClass: DOCS_CREATE_REQUEST.mainClass,
      appArgs: DOCS_CREATE_REQUEST.appArgs,
      sparkProperties: DOCS_SPARK_PROPERTIES,
      environmentVariables: {},
      cores: 1,
      memoryMb: 1024,
      supervise: false,
      resources: {},
    });
  });

  it("applies Spark's defaults: 1024 MiB, 1 core, no supervision, no resources", () => {
    const d = described(driverDescription(aRequest(), none));
    expect(DEFAULT_DRIVER_MEMORY_MB).toBe(1024);
    expect(DEFAULT_DRIVER_CORES).toBe(1);
    expect(d).toMatchObject({ memoryMb: 1024, cores: 1, supervise: false, resources: {} });
    expect(d.appArgs).toEqual(['a', 'b']);
    expect(d.appResource).toBe('s3://bucket/app.jar');
    expect(d.mainClass).toBe('org.example.Main');
  });

  it('refuses a missing main class with Spark message', () => {
    expect(refused(driverDescription(aRequest({ mainClass: undefined }), none))).toBe(
      'Malformed request: org.apache.spark.deploy.rest.SubmitRestMissingFieldException: Main class is missing.',
    );
  });

  it('refuses an appResource or main class that reads as an option (no code without a file)', () => {
    expect(
      refused(driverDescription(aRequest({ appResource: '--eval=process.exit(3)//.js' }), none)),
    ).toBe(
      'Malformed request: java.lang.IllegalArgumentException: appResource must not start with "-": --eval=process.exit(3)//.js',
    );
    expect(refused(driverDescription(aRequest({ mainClass: '-cp' }), none))).toContain(
      'mainClass must not start with "-"',
    );
  });

  it('accepts an empty main class (Spark only checks for null)', () => {
    expect(described(driverDescription(aRequest({ mainClass: '' }), none)).mainClass).toBe('');
  });

  it('keeps spark.master as given: no REST-to-RPC port rewrite', () => {
    const d = described(
      driverDescription(withProps({ 'spark.master': 'spark://m1:6066,m2:6066' }), none),
    );
    expect(d.sparkProperties['spark.master']).toBe('spark://m1:6066,m2:6066');
  });

  it('keeps a key named __proto__ as a plain key', () => {
    const props = Object.fromEntries([['__proto__', '{{X}}']]) as Record<string, string>;
    const d = described(
      driverDescription(aRequest({ sparkProperties: props }), { placeholder: () => 'y' }),
    );
    expect(Object.keys(d.sparkProperties)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(d.sparkProperties, '__proto__')?.value).toBe('y');
  });
});

describe('driverDescription: memory, cores, supervise', () => {
  it.each([
    ['512m', 512],
    ['2g', 2048],
    ['2G', 2048],
    ['1048576', 1], // unit-less means bytes
    ['1023k', 0],
  ])('spark.driver.memory=%s -> %d MiB', (value, mb) => {
    expect(
      described(driverDescription(withProps({ 'spark.driver.memory': value }), none)).memoryMb,
    ).toBe(mb);
  });

  it('refuses a memory size it cannot read, naming the property', () => {
    const message = refused(driverDescription(withProps({ 'spark.driver.memory': 'lots' }), none));
    expect(message.startsWith('Malformed request: java.lang.NumberFormatException: ')).toBe(true);
    expect(message).toContain('spark.driver.memory');
  });

  it.each([
    ['4', 4],
    ['+2', 2],
    ['1', 1],
  ])('spark.driver.cores=%s -> %d', (value, cores) => {
    expect(
      described(driverDescription(withProps({ 'spark.driver.cores': value }), none)).cores,
    ).toBe(cores);
  });

  it('refuses fractional cores as Spark 500s on them, but with 400 text', () => {
    expect(refused(driverDescription(withProps({ 'spark.driver.cores': '1.5' }), none))).toBe(
      'Malformed request: java.lang.NumberFormatException: For input string: "1.5" (spark.driver.cores must be a whole number)',
    );
    // Spark's validation trims; Integer.parseInt does not.
    expect(refused(driverDescription(withProps({ 'spark.driver.cores': ' 2' }), none))).toBe(
      'Malformed request: java.lang.NumberFormatException: For input string: " 2" (spark.driver.cores must be a whole number)',
    );
    expect(
      refused(driverDescription(withProps({ 'spark.driver.cores': '99999999999' }), none)),
    ).toContain('(spark.driver.cores must be a whole number)');
  });

  it.each(['0', '-1'])('refuses spark.driver.cores=%s', (value) => {
    expect(refused(driverDescription(withProps({ 'spark.driver.cores': value }), none))).toBe(
      `Malformed request: org.apache.spark.deploy.rest.SubmitRestProtocolException: Property 'spark.driver.cores' must be at least 1: actual was '${value}'.`,
    );
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['False', false],
  ])('spark.driver.supervise=%s -> %s', (value, supervise) => {
    expect(
      described(driverDescription(withProps({ 'spark.driver.supervise': value }), none)).supervise,
    ).toBe(supervise);
  });

  it('refuses a supervise flag that is not a boolean, naming the property', () => {
    expect(refused(driverDescription(withProps({ 'spark.driver.supervise': 'yes' }), none))).toBe(
      'Malformed request: java.lang.IllegalArgumentException: For input string: "yes" (spark.driver.supervise must be true or false)',
    );
  });

  it('reads fractional cores straight from the wire: validation passes, the build refuses', () => {
    const parsed = parseCreateSubmissionRequest(
      JSON.stringify({
        action: 'CreateSubmissionRequest',
        clientSparkVersion: '',
        appResource: '',
        mainClass: 'M',
        sparkProperties: { 'spark.driver.cores': '1.5' },
      }),
    );
    if (!parsed.ok) throw new Error(parsed.message);
    expect(refused(driverDescription(parsed.request, none))).toContain(
      'For input string: "1.5" (spark.driver.cores must be a whole number)',
    );
  });
});

describe('driverDescription: resources', () => {
  it('reads spark.driver.resource.<name>.amount', () => {
    const d = described(
      driverDescription(
        withProps({
          'spark.driver.resource.gpu.amount': '2',
          'spark.driver.resource.gpu.discoveryScript': '/opt/find-gpus.sh',
          'spark.driver.resource.gpu.vendor': 'nvidia.com',
          'spark.driver.resource.fpga.amount': '1',
          'spark.executor.resource.gpu.amount': '8', // executors, not the driver
        }),
        none,
      ),
    );
    expect(d.resources).toEqual({ gpu: 2, fpga: 1 });
  });

  it.each(['0', '-1', '1.5', 'two', '', '2.0'])('refuses amount %j, naming the key', (amount) => {
    expect(
      refused(driverDescription(withProps({ 'spark.driver.resource.gpu.amount': amount }), none)),
    ).toBe(
      `Malformed request: org.apache.spark.deploy.rest.SubmitRestProtocolException: Property 'spark.driver.resource.gpu.amount' must be a positive whole number: actual was '${amount}'.`,
    );
  });

  it('refuses a resource configured without an amount', () => {
    expect(
      refused(
        driverDescription(withProps({ 'spark.driver.resource.gpu.discoveryScript': '/x' }), none),
      ),
    ).toBe(
      'Malformed request: org.apache.spark.SparkException: You must specify an amount for gpu (spark.driver.resource.gpu.amount)',
    );
  });

  it('refuses resource keys that name no resource', () => {
    expect(refused(driverDescription(withProps({ 'spark.driver.resource.gpu': '1' }), none))).toBe(
      'Malformed request: org.apache.spark.SparkException: You must specify an amount config for resource: gpu config: spark.driver.resource.gpu',
    );
    expect(
      refused(driverDescription(withProps({ 'spark.driver.resource..amount': '1' }), none)),
    ).toContain("Property 'spark.driver.resource..amount' names no resource.");
  });
});

describe('driverDescription: {{NAME}} placeholders (SPARK-49033)', () => {
  const env: Record<string, string> = { SECRET: 's3cr3t', MEM: '2g', CORES: '3', EMPTY: '' };
  const lookups: string[] = [];
  const fromEnv = {
    placeholder: (name: string) => {
      lookups.push(name);
      return Object.hasOwn(env, name) ? env[name] : undefined;
    },
  };

  it('replaces whole-value placeholders in properties and environment variables', () => {
    lookups.length = 0;
    const d = described(
      driverDescription(
        aRequest({
          sparkProperties: { 'spark.token': '{{SECRET}}', 'spark.other': '{{EMPTY}}' },
          environmentVariables: { TOKEN: '{{SECRET}}' },
        }),
        fromEnv,
      ),
    );
    expect(d.sparkProperties).toEqual({ 'spark.token': 's3cr3t', 'spark.other': '' });
    expect(d.environmentVariables).toEqual({ TOKEN: 's3cr3t' });
    expect(lookups).toEqual(['SECRET', 'EMPTY', 'SECRET']);
  });

  it('keeps a placeholder literally when the lookup has no value', () => {
    const d = described(
      driverDescription(
        aRequest({
          sparkProperties: { a: '{{UNKNOWN}}' },
          environmentVariables: { B: '{{UNKNOWN}}' },
        }),
        fromEnv,
      ),
    );
    expect(d.sparkProperties).toEqual({ a: '{{UNKNOWN}}' });
    expect(d.environmentVariables).toEqual({ B: '{{UNKNOWN}}' });
  });

  it.each(['x{{SECRET}}', '{{SECRET}}x', 'pre {{SECRET}} post', '{SECRET}', '{{SECRET}', '{{}'])(
    'leaves %j alone: only a whole value is a placeholder',
    (value) => {
      lookups.length = 0;
      const d = described(driverDescription(aRequest({ sparkProperties: { k: value } }), fromEnv));
      expect(d.sparkProperties.k).toBe(value);
      expect(lookups).toEqual([]);
    },
  );

  it('passes the text between the braces as the name, whatever it is', () => {
    lookups.length = 0;
    driverDescription(
      aRequest({ sparkProperties: { a: '{{}}', b: '{{ X }}', c: '{{}}}' } }),
      fromEnv,
    );
    expect(lookups).toEqual(['', ' X ', '}']);
  });

  it('never substitutes keys, appArgs, appResource or mainClass', () => {
    lookups.length = 0;
    const d = described(
      driverDescription(
        {
          appResource: '{{SECRET}}',
          mainClass: '{{SECRET}}',
          appArgs: ['{{SECRET}}'],
          sparkProperties: { '{{SECRET}}': 'v' },
          environmentVariables: { '{{SECRET}}': 'v' },
        },
        fromEnv,
      ),
    );
    expect(d.appResource).toBe('{{SECRET}}');
    expect(d.mainClass).toBe('{{SECRET}}');
    expect(d.appArgs).toEqual(['{{SECRET}}']);
    expect(d.sparkProperties).toEqual({ '{{SECRET}}': 'v' });
    expect(d.environmentVariables).toEqual({ '{{SECRET}}': 'v' });
    expect(lookups).toEqual([]);
  });

  it('reads driver memory and cores after substitution, as Spark does', () => {
    const d = described(
      driverDescription(
        withProps({ 'spark.driver.memory': '{{MEM}}', 'spark.driver.cores': '{{CORES}}' }),
        fromEnv,
      ),
    );
    expect(d.memoryMb).toBe(2048);
    expect(d.cores).toBe(3);
    expect(d.sparkProperties['spark.driver.memory']).toBe('2g');
  });
});

describe('driverDescription: environment variables', () => {
  it('drops SPARK_LOCAL_IP and SPARK_LOCAL_HOSTNAME, and only those', () => {
    const d = described(
      driverDescription(
        aRequest({
          environmentVariables: {
            SPARK_LOCAL_IP: '10.0.0.1',
            SPARK_LOCAL_HOSTNAME: 'laptop',
            SPARK_LOCAL_IPX: 'kept',
            spark_local_ip: 'kept',
            SPARK_LOCAL_DIRS: '/tmp',
            SPARK_USER: 'me',
          },
        }),
        none,
      ),
    );
    expect(d.environmentVariables).toEqual({
      SPARK_LOCAL_IPX: 'kept',
      spark_local_ip: 'kept',
      SPARK_LOCAL_DIRS: '/tmp',
      SPARK_USER: 'me',
    });
  });

  it('does not look up placeholders of dropped variables', () => {
    const names: string[] = [];
    driverDescription(aRequest({ environmentVariables: { SPARK_LOCAL_IP: '{{IP}}' } }), {
      placeholder: (n) => {
        names.push(n);
        return 'x';
      },
    });
    expect(names).toEqual([]);
  });
});
