// The worker agent's decisions (spec §d.1, §f, §h), with plain values.
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  driverArgv,
  driverEnd,
  executorArgv,
  executorEnd,
  executorLaunch,
  registrationDelaysMs,
  resourcesFile,
  sparkplaneMaster,
  staleWorkDirs,
  superviseDelayMs,
  workerUrl,
} from '../../../lib/worker/launch.js';

const place = {
  host: '10.0.0.5',
  port: 7078,
  masterUrl: 'http://master:6066',
  node: '/usr/bin/node',
};

describe('executor command lines (spec §h)', () => {
  it('replaces whole arguments equal to a placeholder, nothing inside other arguments', () => {
    const argv = executorArgv(
      [
        'java',
        '--executor-id',
        '{{EXECUTOR_ID}}',
        '--hostname',
        '{{HOSTNAME}}',
        '--cores',
        '{{CORES}}',
        '--app-id',
        '{{APP_ID}}',
        '--worker-url',
        '{{WORKER_URL}}',
        '--resourceProfileId',
        '{{RESOURCE_PROFILE_ID}}',
        'x{{CORES}}',
        '{{UNKNOWN}}',
      ],
      { executorId: 7, appId: 'app-1', cores: 2, memoryMb: 512, resourceProfileId: 0, place },
    );
    expect(argv).toEqual([
      'java',
      '--executor-id',
      '7',
      '--hostname',
      '10.0.0.5',
      '--cores',
      '2',
      '--app-id',
      'app-1',
      '--worker-url',
      'spark://Worker@10.0.0.5:7078',
      '--resourceProfileId',
      '0',
      'x{{CORES}}',
      '{{UNKNOWN}}',
    ]);
  });

  it("builds a JVM executor's command line as Spark's WorkerCommandBuilder does", () => {
    const java = {
      mainClass: 'org.apache.spark.executor.CoarseGrainedExecutorBackend',
      arguments: ['--executor-id', '{{EXECUTOR_ID}}', '--hostname', '{{HOSTNAME}}'],
      javaOpts: [
        '-Dspark.driver.port=4041',
        '{{APP_ID}}',
        '--add-opens=java.base/java.lang=ALL-UNNAMED',
      ],
      classPathEntries: ['/opt/extra.jar'],
      libraryPathEntries: ['/opt/native'],
    };
    const values = { executorId: 3, appId: 'app-1', cores: 1, memoryMb: 768, resourceProfileId: 0 };
    const launch = executorLaunch(
      { java, env: { SPARK_USER: 'spark' } },
      { ...values, place: { ...place, sparkHome: '/opt/spark', javaHome: '/usr/lib/jvm/17' } },
      { LD_LIBRARY_PATH: '/usr/lib', HADOOP_CONF_DIR: '/etc/hadoop' },
    );
    expect(launch).toEqual({
      ok: true,
      argv: [
        '/usr/lib/jvm/17/bin/java',
        '-cp',
        '/opt/extra.jar:/opt/spark/conf:/opt/spark/jars/*:/etc/hadoop',
        '-Xmx768M',
        '-Dspark.driver.port=4041',
        'app-1',
        '--add-opens=java.base/java.lang=ALL-UNNAMED',
        'org.apache.spark.executor.CoarseGrainedExecutorBackend',
        '--executor-id',
        '3',
        '--hostname',
        '10.0.0.5',
      ],
      env: { SPARK_USER: 'spark', LD_LIBRARY_PATH: '/opt/native:/usr/lib' },
    });
    // java from the PATH without JAVA_HOME; no Spark, no JVM executor.
    const plain = executorLaunch(
      { java, env: {} },
      { ...values, place: { ...place, sparkHome: '/s' } },
      {},
    );
    expect(plain.ok && plain.argv[0]).toBe('java');
    // spark.executorEnv.* before the worker's environment, as AbstractCommandBuilder reads it.
    const own = executorLaunch(
      { java, env: { JAVA_HOME: '/opt/jdk21', SPARK_CONF_DIR: '/etc/spark' } },
      { ...values, place: { ...place, sparkHome: '/s', javaHome: '/usr/lib/jvm/17' } },
      { SPARK_CONF_DIR: '/worker/conf' },
    );
    expect(own.ok && own.argv.slice(0, 3)).toEqual([
      '/opt/jdk21/bin/java',
      '-cp',
      '/opt/extra.jar:/etc/spark:/s/jars/*',
    ]);
    expect(executorLaunch({ java, env: {} }, { ...values, place }, {})).toEqual({
      ok: false,
      message:
        'SPARK_HOME is not set on worker 10.0.0.5:7078: it cannot run org.apache.spark.executor.CoarseGrainedExecutorBackend',
    });
  });

  it("writes Spark's resources file", () => {
    expect(JSON.parse(resourcesFile('spark.executor', { gpu: ['0', '1'] }))).toEqual([
      { id: { componentName: 'spark.executor', resourceName: 'gpu' }, addresses: ['0', '1'] },
    ]);
  });

  it('reports how an executor ended: the exit code, or 128 + signal as Java does', () => {
    expect(executorEnd({ code: 0, signal: null, killed: false }, constants.signals)).toEqual({
      state: 'EXITED',
      exitStatus: 0,
      message: 'Command exited with code 0',
    });
    expect(
      executorEnd({ code: null, signal: 'SIGKILL', killed: false }, constants.signals),
    ).toEqual({ state: 'EXITED', exitStatus: 137, message: 'Command exited with code 137' });
    expect(
      executorEnd({ code: null, signal: 'SIGTERM', killed: true }, constants.signals).state,
    ).toBe('KILLED');
  });
});

describe('driver command lines', () => {
  it("fills in the worker's Spark, node, master and address", () => {
    const resolved = driverArgv(
      [
        '{{SPARK_HOME}}/bin/spark-submit',
        '--conf',
        'spark.x={{MASTER_URL}}',
        '{{NODE}}',
        '{{WORKER_URL}}',
      ],
      { ...place, sparkHome: '/opt/spark' },
      () => false,
      [0, 2, 3, 4],
    );
    expect(resolved).toEqual({
      ok: true,
      argv: [
        '/opt/spark/bin/spark-submit',
        '--conf',
        'spark.x=http://master:6066',
        '/usr/bin/node',
        'spark://Worker@10.0.0.5:7078',
      ],
    });
  });

  it('names the control plane as a sparkplane master and the plugin jar', () => {
    const argv = [
      '--master',
      '{{SPARKPLANE_MASTER}}',
      '--driver-class-path',
      '{{SPARKPLANE_JAR}}:/x.jar',
    ];
    const ours = [1, 3];
    expect(driverArgv(argv, { ...place, sparkHome: '/opt/spark' }, () => false, ours)).toEqual({
      ok: true,
      argv: [
        '--master',
        'sparkplane://master:6066',
        '--driver-class-path',
        '/opt/spark/jars/sparkplane-spark.jar:/x.jar',
      ],
    });
    const told = { ...place, masterUrl: 'https://abc.example.com/prod/', sparkJar: '/p.jar' };
    expect(driverArgv(argv, told, () => false, ours)).toEqual({
      ok: true,
      argv: [
        '--master',
        'sparkplane+https://abc.example.com/prod',
        '--driver-class-path',
        '/p.jar:/x.jar',
      ],
    });
    expect(sparkplaneMaster('http://127.0.0.1:6066')).toBe('sparkplane://127.0.0.1:6066');
    expect(sparkplaneMaster('http://[::1]:6066')).toBe('sparkplane://[::1]:6066');
    const none = driverArgv(argv, place, () => true, ours);
    expect(none).toEqual({
      ok: false,
      message:
        "sparkplane's Spark plugin not found: neither SPARKPLANE_SPARK_JAR nor SPARK_HOME is set on worker 10.0.0.5:7078",
    });
  });

  it("expands only the template's own arguments: the user's stay as they are", () => {
    const argv = ['{{NODE}}', '{{NODE}}', 'x={{WORKER_URL}}'];
    expect(driverArgv(argv, place, () => false, [0])).toEqual({
      ok: true,
      argv: ['/usr/bin/node', '{{NODE}}', 'x={{WORKER_URL}}'],
    });
  });

  it('without SPARK_HOME, spark-submit on the PATH; without either, a reason', () => {
    expect(
      driverArgv(['{{SPARK_HOME}}/bin/spark-submit'], place, (n) => n === 'spark-submit', [0]),
    ).toEqual({ ok: true, argv: ['spark-submit'] });
    const missing = driverArgv(['{{SPARK_HOME}}/bin/spark-submit'], place, () => false, [0]);
    expect(missing.ok).toBe(false);
    if (!missing.ok)
      expect(missing.message).toMatch(/^spark-submit not found: SPARK_HOME is not set/);
  });

  it("ends as Spark's DriverRunner says: 0 is FINISHED even when killed", () => {
    expect(driverEnd({ code: 0, killed: true })).toBe('FINISHED');
    expect(driverEnd({ code: 143, killed: true })).toBe('KILLED');
    expect(driverEnd({ code: 1, killed: false })).toBe('FAILED');
    expect(driverEnd({ code: null, killed: false })).toBe('FAILED');
  });
});

describe('back-offs', () => {
  it('registration: round(10·f) s for the first attempts, then round(60·f) s, 16 in all', () => {
    const delays = registrationDelaysMs(6, 16, 1.2);
    expect(delays).toHaveLength(15);
    expect(delays.slice(0, 6)).toEqual(Array(6).fill(12_000));
    expect(delays.slice(6)).toEqual(Array(9).fill(72_000));
    expect(registrationDelaysMs(6, 16, 0.5)[0]).toBe(5000);
  });

  it('supervised drivers: 1 s, doubling, back to 1 s after a run longer than 5 s', () => {
    let delay = superviseDelayMs(undefined, 100);
    const seen = [delay];
    for (let i = 0; i < 4; i++) {
      delay = superviseDelayMs(delay, 100);
      seen.push(delay);
    }
    expect(seen).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(superviseDelayMs(16_000, 5001)).toBe(1000);
    expect(superviseDelayMs(16_000, 5000)).toBe(32_000);
  });
});

describe('work-dir cleanup (spec §h)', () => {
  it('removes directories of nothing running with nothing newer than the TTL', () => {
    const now = 1_000_000;
    const dirs = [
      { name: 'app-old', newestMs: 1000 },
      { name: 'app-running', newestMs: 1000 },
      { name: 'app-recent', newestMs: now - 10 },
    ];
    expect(staleWorkDirs(dirs, new Set(['app-running']), now, 60_000)).toEqual(['app-old']);
  });

  it("names the worker as Spark's spark://Worker@host:port", () => {
    expect(workerUrl(place)).toBe('spark://Worker@10.0.0.5:7078');
  });
});
