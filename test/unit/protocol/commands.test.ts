import { describe, expect, it } from 'vitest';
import { masterConfig } from '../../../lib/core/config.js';
import { applyPlan } from '../../../lib/core/lifecycle.js';
import { schedule } from '../../../lib/core/schedule.js';
import { launchCommands } from '../../../lib/protocol/commands.js';
import { aDriver, anApp, aWorker, clusterOf } from '../core/fixtures.js';

describe('launch commands (PROTOCOL.md)', () => {
  it('carry what each worker needs, grouped by worker', () => {
    const cluster = clusterOf({
      workers: [aWorker({ id: 'w1', cores: 2, memoryMb: 4096 })],
      drivers: [aDriver({ id: 'driver-1' })],
      applications: [anApp({ id: 'app-1', state: 'WAITING' })],
    });
    const plan = schedule(cluster, masterConfig(), () => 0);
    const commands = launchCommands(cluster, plan);
    expect([...commands.keys()]).toEqual(['w1']);
    expect(commands.get('w1')).toEqual([
      {
        type: 'LaunchDriver',
        driverId: 'driver-1',
        cores: 1,
        memoryMb: 1024,
        resources: {},
        supervise: false,
        command: {
          argv: [
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
            'spark.driver.host={{HOSTNAME}}',
            '--class',
            'org.example.Main',
            'file:/app.jar',
          ],
          // Spark's home, the master, the plugin's jar and the host: the worker's to fill in.
          expand: [0, 2, 8, 10],
          env: {
            SPARKPLANE_DRIVER_ID: 'driver-1',
            SPARKPLANE_DRIVER_CORES: '1',
            SPARKPLANE_DRIVER_MEMORY_MB: '1024',
            SPARKPLANE_SPARK_PROPERTIES: '{}',
          },
        },
      },
      {
        type: 'LaunchExecutor',
        appId: 'app-1',
        executorId: 0,
        resourceProfileId: 0,
        cores: 1,
        memoryMb: 1024,
        resources: {},
        command: { argv: ['run-executor'], env: {} },
      },
    ]);
    // The same placements the stored cluster shows.
    expect(applyPlan(cluster, plan, 0).cluster.executors['app-1/0']?.workerId).toBe('w1');
  });
});
