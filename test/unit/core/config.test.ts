import { describe, expect, it } from 'vitest';
import { masterConfig, propertiesFromJavaOptions, workerConfig } from '../../../lib/core/config.js';
import { INT_MAX } from '../../../lib/core/model.js';

describe('master configuration (spec Appendix A)', () => {
  it("has Spark 4.1's defaults", () => {
    expect(masterConfig()).toEqual({
      restEnabled: true,
      restPort: 6066,
      uiPort: 8080,
      spreadOutApps: true,
      spreadOutDrivers: true,
      workerSelectionPolicy: 'CORES_FREE_DESC',
      defaultCores: INT_MAX,
      maxDrivers: INT_MAX,
      maxExecutorRetries: 10,
      retainedApplications: 200,
      retainedDrivers: 200,
      appIdPattern: 'app-%s-%04d',
      driverIdPattern: 'driver-%s-%04d',
      workerTimeoutSec: 60,
      deadWorkerPersistence: 15,
      appTimeoutMs: 30_000,
      sessionIdleTimeoutMs: 900_000,
      decommissionEnabled: false,
      decommissionAllowMode: 'LOCAL',
    });
  });

  it('reads every key', () => {
    const c = masterConfig({
      'spark.master.rest.enabled': 'false',
      'spark.master.rest.port': '16066',
      'spark.master.ui.port': '18080',
      'spark.deploy.spreadOutApps': 'false',
      'spark.deploy.spreadOutDrivers': 'FALSE',
      'spark.deploy.workerSelectionPolicy': 'memory_free_asc',
      'spark.deploy.defaultCores': '4',
      'spark.deploy.maxDrivers': '3',
      'spark.deploy.maxExecutorRetries': '-1',
      'spark.deploy.retainedApplications': '20',
      'spark.deploy.retainedDrivers': '30',
      'spark.deploy.appIdPattern': 'a-%s-%d',
      'spark.deploy.driverIdPattern': 'd-%s-%06d',
      'spark.deploy.appNumberModulo': '1000',
      'spark.worker.timeout': '30',
      'spark.dead.worker.persistence': '2',
      'spark.sparkplane.app.timeout': '1500ms',
    });
    expect(c).toMatchObject({
      restEnabled: false,
      restPort: 16066,
      uiPort: 18080,
      spreadOutApps: false,
      spreadOutDrivers: false,
      workerSelectionPolicy: 'MEMORY_FREE_ASC',
      defaultCores: 4,
      maxDrivers: 3,
      maxExecutorRetries: -1,
      retainedApplications: 20,
      retainedDrivers: 30,
      appIdPattern: 'a-%s-%d',
      driverIdPattern: 'd-%s-%06d',
      appNumberModulo: 1000,
      workerTimeoutSec: 30,
      deadWorkerPersistence: 2,
      appTimeoutMs: 1500,
    });
    expect(masterConfig({ 'spark.sparkplane.app.timeout': '20' }).appTimeoutMs).toBe(20_000);
    expect(() => masterConfig({ 'spark.sparkplane.app.timeout': '10ms' })).toThrow(
      'spark.sparkplane.app.timeout must be at least 1s, but was 10',
    );
  });

  it('still accepts the pre-4.0 spread-out key, the new one wins', () => {
    expect(masterConfig({ 'spark.deploy.spreadOut': 'false' }).spreadOutApps).toBe(false);
    expect(
      masterConfig({ 'spark.deploy.spreadOut': 'false', 'spark.deploy.spreadOutApps': 'true' })
        .spreadOutApps,
    ).toBe(true);
  });

  it.each([
    ['spark.deploy.defaultCores', '0'],
    ['spark.deploy.maxDrivers', '-1'],
    ['spark.deploy.appNumberModulo', '999'],
    ['spark.deploy.workerSelectionPolicy', 'RANDOM'],
    ['spark.deploy.spreadOutApps', 'yes'],
    ['spark.worker.timeout', '60s'],
    ['spark.deploy.appIdPattern', 'app-%s-%x'],
    ['spark.deploy.driverIdPattern', 'driver-%s-%s-%d'],
    ['spark.deploy.appIdPattern', 'app %s-%d'],
    ['spark.deploy.driverIdPattern', 'driver-%s-%4d'],
  ])('refuses %s=%s and names the key', (key, value) => {
    expect(() => masterConfig({ [key]: value })).toThrow(key);
  });

  it("takes MasterSuite's positional id patterns, refuses whitespace as Spark does", () => {
    const c = masterConfig({
      'spark.deploy.appIdPattern': 'my-app-%2$05d',
      'spark.deploy.driverIdPattern': 'my-driver-%2$05d',
    });
    expect([c.appIdPattern, c.driverIdPattern]).toEqual(['my-app-%2$05d', 'my-driver-%2$05d']);
    expect(() => masterConfig({ 'spark.deploy.appIdPattern': 'app-%s %d' })).toThrow(
      'Whitespace is not allowed.',
    );
    expect(() => workerConfig({ 'spark.worker.idPattern': 'w %s-%s-%d' })).toThrow(
      'Whitespace is not allowed.',
    );
  });
});

describe('worker configuration', () => {
  it("has Spark's defaults", () => {
    expect(workerConfig()).toEqual({
      workerTimeoutSec: 60,
      cleanupEnabled: true,
      cleanupIntervalSec: 1800,
      cleanupAppDataTtlSec: 604_800,
      initialRegistrationRetries: 6,
      maxRegistrationRetries: 16,
      driverTerminateTimeoutMs: 10_000,
      idPattern: 'worker-%s-%s-%d',
      // sparkplane's: logs shipped every 2 s, 64 MiB kept of each stream.
      logShipIntervalMs: 2000,
      logMaxBytes: 64 * 1024 * 1024,
    });
  });

  it("reads the log shipping settings, refusing what the store can't take", () => {
    const logs = (props: Record<string, string>) => {
      const c = workerConfig(props);
      return [c.logShipIntervalMs, c.logMaxBytes];
    };
    expect(logs({ 'spark.sparkplane.worker.logs.interval': '5' })).toEqual([5000, 64 * 2 ** 20]);
    expect(logs({ 'spark.sparkplane.worker.logs.interval': '500ms' })[0]).toBe(500);
    expect(logs({ 'spark.sparkplane.worker.logs.maxBytes': '8m' })[1]).toBe(8 * 2 ** 20);
    expect(() => logs({ 'spark.sparkplane.worker.logs.interval': '10ms' })).toThrow(
      'spark.sparkplane.worker.logs.interval',
    );
    expect(() => logs({ 'spark.sparkplane.worker.logs.maxBytes': '100k' })).toThrow(
      'spark.sparkplane.worker.logs.maxBytes',
    );
  });

  it('reads time values with units', () => {
    expect(
      workerConfig({ 'spark.worker.driverTerminateTimeout': '30s' }).driverTerminateTimeoutMs,
    ).toBe(30_000);
  });
});

describe('SPARK_MASTER_OPTS', () => {
  it('reads -Dkey=value options split like a shell line', () => {
    expect(
      propertiesFromJavaOptions(
        `-Dspark.deploy.defaultCores=4  -Xmx1g -Dspark.app.name="my app" -Dk='a b' -De=x\\ y -Dspark.x=`,
      ),
    ).toEqual({
      'spark.deploy.defaultCores': '4',
      'spark.app.name': 'my app',
      k: 'a b',
      e: 'x y',
      'spark.x': '',
    });
    expect(propertiesFromJavaOptions('')).toEqual({});
    expect(() => propertiesFromJavaOptions('-Da="open')).toThrow('Unterminated');
  });
});
