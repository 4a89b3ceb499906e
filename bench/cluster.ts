// The waiting cluster both scheduling benchmarks place: 16-core, 64 GiB workers, 1-core
// 1 GiB drivers, and applications with 2-core 1 GiB executors.
import { type Cluster, INT_MAX, type Worker } from '../lib/core/model.js';

export function waitingCluster(shape: {
  workers: number;
  apps: number;
  drivers: number;
  appMaxCores: number;
}): Cluster {
  const workers: Record<string, Worker> = {};
  for (let i = 0; i < shape.workers; i++) {
    const host = `10.0.${i >> 8}.${i & 255}`;
    const id = `worker-20261122000000-${host}-7078`;
    workers[id] = {
      id,
      host,
      port: 7078,
      webUiUrl: '',
      cores: 16,
      memoryMb: 65536,
      resources: {},
      coresUsed: 0,
      memoryUsedMb: 0,
      resourcesUsed: {},
      state: 'ALIVE',
      lastHeartbeatMs: Date.now(),
    };
  }
  const applications: Cluster['applications'] = Object.fromEntries(
    Array.from({ length: shape.apps }, (_, i) => {
      const id = `app-20261122000000-${String(i).padStart(4, '0')}`;
      const defaultProfile = { coresPerExecutor: 2, memoryMb: 1024, resources: {} };
      return [
        id,
        {
          id,
          seq: i,
          submitTimeMs: 0,
          description: {
            name: `app ${i}`,
            user: 'spark',
            maxCores: shape.appMaxCores,
            defaultProfile,
            command: { argv: [], env: {} },
          },
          state: 'WAITING',
          resourceProfiles: { 0: { id: 0, ...defaultProfile } },
          executorTargets: { 0: INT_MAX },
          coresGranted: 0,
          retryCount: 0,
          nextExecutorId: 0,
        },
      ] as const;
    }),
  );
  const drivers: Cluster['drivers'] = Object.fromEntries(
    Array.from({ length: shape.drivers }, (_, i) => {
      const id = `driver-20261122000000-${String(i).padStart(4, '0')}`;
      return [
        id,
        {
          id,
          seq: i,
          submitTimeMs: 0,
          description: {
            appResource: '',
            mainClass: 'org.apache.spark.examples.SparkPi',
            appArgs: [],
            sparkProperties: {},
            environmentVariables: {},
            cores: 1,
            memoryMb: 1024,
            supervise: false,
            resources: {},
          },
          state: 'SUBMITTED',
          resources: {},
        },
      ] as const;
    }),
  );
  return { workers, applications, executors: {}, drivers };
}
