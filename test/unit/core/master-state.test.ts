// Master `/json` document (spec §i.1), checked against Spark's JsonProtocol field order.
import { describe, expect, it } from 'vitest';
import {
  clusterUtilization,
  javaDateString,
  masterState,
  masterStateField,
} from '../../../lib/core/master-state.js';
import { aDriver, anApp, aWorker, clusterOf } from './fixtures.js';

const OCT_31 = Date.UTC(2023, 9, 31, 22, 45, 9);
const options = { url: 'spark://master:7077', now: OCT_31 + 60_000 };

const STATE_KEYS = [
  'url',
  'workers',
  'aliveworkers',
  'cores',
  'coresused',
  'memory',
  'memoryused',
  'resources',
  'resourcesused',
  'activeapps',
  'completedapps',
  'activedrivers',
  'completeddrivers',
  'status',
];

function cluster() {
  return clusterOf({
    workers: [
      aWorker({
        id: 'worker-b',
        cores: 4,
        coresUsed: 3,
        memoryMb: 4096,
        memoryUsedMb: 1024,
        resources: { gpu: ['2', '0', '1'], fpga: ['f0'] },
        resourcesUsed: { gpu: ['1', '0'] },
        lastHeartbeatMs: OCT_31,
      }),
      aWorker({ id: 'worker-a', cores: 8, coresUsed: 2, memoryMb: 8192, memoryUsedMb: 2048 }),
      aWorker({ id: 'worker-c', state: 'DEAD', cores: 16, coresUsed: 16, memoryMb: 9999 }),
    ],
    applications: [
      anApp({
        id: 'app-2',
        seq: 2,
        state: 'FINISHED',
        submitTimeMs: OCT_31,
        endTimeMs: OCT_31 + 5000,
      }),
      anApp({ id: 'app-1', seq: 1, state: 'RUNNING', submitTimeMs: OCT_31, coresGranted: 5 }),
      anApp({ id: 'app-3', seq: 3, state: 'WAITING', submitTimeMs: OCT_31 + 1000 }),
    ],
    drivers: [
      aDriver({ id: 'driver-3', seq: 3, state: 'FAILED', workerId: 'worker-b' }),
      aDriver({ id: 'driver-1', seq: 1, state: 'SUBMITTED', submitTimeMs: OCT_31 }),
      aDriver({
        id: 'driver-2',
        seq: 2,
        state: 'RUNNING',
        workerId: 'worker-b',
        resources: { gpu: ['1'] },
      }),
    ],
  });
}

describe('§i.1 masterState', () => {
  const state = masterState(cluster(), options);

  it('has exactly Spark’s keys in Spark’s order, and is always ALIVE', () => {
    expect(Object.keys(state)).toEqual(STATE_KEYS);
    expect(state.url).toBe('spark://master:7077');
    expect(state.status).toBe('ALIVE');
  });

  it('lists every worker, DEAD included, by id, but sums alive workers only', () => {
    const workers = state.workers as Record<string, unknown>[];
    expect(workers.map((w) => [w.id, w.state])).toEqual([
      ['worker-a', 'ALIVE'],
      ['worker-b', 'ALIVE'],
      ['worker-c', 'DEAD'],
    ]);
    expect(state.aliveworkers).toBe(2);
    expect(state.cores).toBe(12);
    expect(state.coresused).toBe(5);
    expect(state.memory).toBe(12288);
    expect(state.memoryused).toBe(3072);
    expect(state.resources as unknown[]).toHaveLength(2);
  });

  it('writes a worker in Spark’s field order with used, free and resource objects', () => {
    const worker = (state.workers as Record<string, unknown>[])[1];
    expect(worker).toBeDefined();
    expect(Object.keys(worker ?? {})).toEqual([
      'id',
      'host',
      'port',
      'webuiaddress',
      'cores',
      'coresused',
      'coresfree',
      'memory',
      'memoryused',
      'memoryfree',
      'resources',
      'resourcesused',
      'resourcesfree',
      'state',
      'lastheartbeat',
    ]);
    expect(worker).toEqual({
      id: 'worker-b',
      host: 'host-worker-b',
      port: 7078,
      webuiaddress: 'http://host-worker-b:8081',
      cores: 4,
      coresused: 3,
      coresfree: 1,
      memory: 4096,
      memoryused: 1024,
      memoryfree: 3072,
      resources: {
        fpga: { name: 'fpga', addresses: ['f0'] },
        gpu: { name: 'gpu', addresses: ['2', '0', '1'] },
      },
      resourcesused: {
        fpga: { name: 'fpga', addresses: [] },
        gpu: { name: 'gpu', addresses: ['0', '1'] },
      },
      resourcesfree: {
        fpga: { name: 'fpga', addresses: ['f0'] },
        gpu: { name: 'gpu', addresses: ['2'] },
      },
      state: 'ALIVE',
      lastheartbeat: OCT_31,
    });
    expect(Object.keys(worker?.resources as object)).toEqual(['fpga', 'gpu']);
  });

  it('has one resources object per alive worker', () => {
    expect(state.resources).toEqual([
      {},
      {
        fpga: { name: 'fpga', addresses: ['f0'] },
        gpu: { name: 'gpu', addresses: ['2', '0', '1'] },
      },
    ]);
    expect(state.resourcesused).toEqual([
      {},
      {
        fpga: { name: 'fpga', addresses: [] },
        gpu: { name: 'gpu', addresses: ['0', '1'] },
      },
    ]);
  });

  it('splits applications into active and completed, in submission order', () => {
    const ids = (key: string) => (state[key] as Record<string, unknown>[]).map((a) => a.id);
    expect(ids('activeapps')).toEqual(['app-1', 'app-3']);
    expect(ids('completedapps')).toEqual(['app-2']);
  });

  it('writes an application in Spark’s field order', () => {
    const app = (state.activeapps as Record<string, unknown>[])[0];
    expect(Object.keys(app ?? {})).toEqual([
      'id',
      'starttime',
      'name',
      'cores',
      'user',
      'memoryperexecutor',
      'memoryperslave',
      'resourcesperexecutor',
      'resourcesperslave',
      'submitdate',
      'state',
      'duration',
      // sparkplane's, after Spark's fields.
      'usage',
    ]);
    expect(app).toEqual({
      id: 'app-1',
      starttime: OCT_31,
      name: 'app-1',
      cores: 5,
      user: 'spark',
      memoryperexecutor: 1024,
      memoryperslave: 1024,
      resourcesperexecutor: [],
      resourcesperslave: [],
      submitdate: 'Tue Oct 31 22:45:09 UTC 2023',
      state: 'RUNNING',
      duration: 60_000,
      usage: { coreSeconds: 0, memoryMibSeconds: 0, resourceSeconds: {} },
    });
  });

  it('measures a finished application to its end and a live one to now', () => {
    const [done] = state.completedapps as Record<string, unknown>[];
    expect(done?.duration).toBe(5000);
    const waiting = (state.activeapps as Record<string, unknown>[])[1];
    expect(waiting?.duration).toBe(59_000);
  });

  it('lists per-executor resource requirements as {name, amount}', () => {
    const profile = { memoryMb: 2048, resources: { gpu: 2, fpga: 1 } };
    const app = anApp({
      id: 'app-9',
      description: { ...anApp({ id: 'x' }).description, defaultProfile: profile },
    });
    const [json] = masterState(clusterOf({ applications: [app] }), options).activeapps as Record<
      string,
      unknown
    >[];
    const expected = [
      { name: 'fpga', amount: 1 },
      { name: 'gpu', amount: 2 },
    ];
    expect(json?.memoryperexecutor).toBe(2048);
    expect(json?.memoryperslave).toBe(2048);
    expect(json?.resourcesperexecutor).toEqual(expected);
    expect(json?.resourcesperslave).toEqual(expected);
  });

  it('counts waiting and running drivers as active, in submission order', () => {
    const ids = (key: string) => (state[key] as Record<string, unknown>[]).map((d) => d.id);
    expect(ids('activedrivers')).toEqual(['driver-1', 'driver-2']);
    expect(ids('completeddrivers')).toEqual(['driver-3']);
  });

  it('writes a driver with Spark’s quirks: string starttime and worker "None"', () => {
    const [waiting, running] = state.activedrivers as Record<string, unknown>[];
    expect(Object.keys(waiting ?? {})).toEqual([
      'id',
      'starttime',
      'state',
      'cores',
      'memory',
      'resources',
      'submitdate',
      'worker',
      'mainclass',
      'usage',
    ]);
    expect(waiting).toEqual({
      id: 'driver-1',
      starttime: String(OCT_31),
      state: 'SUBMITTED',
      cores: 1,
      memory: 1024,
      resources: {},
      submitdate: 'Tue Oct 31 22:45:09 UTC 2023',
      worker: 'None',
      mainclass: 'org.example.Main',
      usage: { coreSeconds: 0, memoryMibSeconds: 0, resourceSeconds: {} },
    });
    expect(running?.worker).toBe('worker-b');
    expect(running?.resources).toEqual({ gpu: { name: 'gpu', addresses: ['1'] } });
    // A finished driver keeps the worker it last ran on.
    expect((state.completeddrivers as Record<string, unknown>[])[0]?.worker).toBe('worker-b');
  });

  it('is well formed for an empty cluster', () => {
    expect(masterState(clusterOf({}), options)).toEqual({
      url: 'spark://master:7077',
      workers: [],
      aliveworkers: 0,
      cores: 0,
      coresused: 0,
      memory: 0,
      memoryused: 0,
      resources: [],
      resourcesused: [],
      activeapps: [],
      completedapps: [],
      activedrivers: [],
      completeddrivers: [],
      status: 'ALIVE',
    });
  });
});

describe('javaDateString', () => {
  it('formats like java.util.Date#toString in UTC, zero-padding the day', () => {
    expect(javaDateString(OCT_31)).toBe('Tue Oct 31 22:45:09 UTC 2023');
    expect(javaDateString(Date.UTC(2024, 2, 5, 7, 8, 9))).toBe('Tue Mar 05 07:08:09 UTC 2024');
    expect(javaDateString(0)).toBe('Thu Jan 01 00:00:00 UTC 1970');
  });
});

describe('§i.1 masterStateField (/json/<field>)', () => {
  it.each(STATE_KEYS)('answers %s with the value of the full document', (field) => {
    const full = masterState(cluster(), options);
    expect(masterStateField(cluster(), options, field)).toEqual({ [field]: full[field] });
  });

  it('answers an unknown field with an empty string', () => {
    expect(masterStateField(cluster(), options, 'nosuchfield')).toEqual({ nosuchfield: '' });
    // Field names are case-sensitive, as in Spark.
    expect(masterStateField(cluster(), options, 'URL')).toEqual({ URL: '' });
  });

  it('does not mistake inherited object properties for fields', () => {
    const answer = masterStateField(cluster(), options, 'constructor');
    expect(Object.keys(answer)).toEqual(['constructor']);
    expect(answer.constructor).toBe('');
  });

  it('answers clusterutilization with the utilization object itself', () => {
    expect(masterStateField(cluster(), options, 'clusterutilization')).toEqual(
      clusterUtilization(cluster()),
    );
  });
});

describe('§i.1 clusterUtilization', () => {
  it('has Spark’s keys in order, over alive workers, counting SUBMITTED drivers', () => {
    const u = clusterUtilization(cluster());
    expect(Object.keys(u)).toEqual([
      'waitingDrivers',
      'cores',
      'coresused',
      'coresutilization',
      'memory',
      'memoryused',
      'memoryutilization',
    ]);
    expect(u).toEqual({
      waitingDrivers: 1,
      cores: 12,
      coresused: 5,
      coresutilization: 41, // 500 / 12 = 41.67, truncated like Java int division
      memory: 12288,
      memoryused: 3072,
      memoryutilization: 25,
    });
  });

  it('truncates rather than rounds', () => {
    const u = clusterUtilization(
      clusterOf({
        workers: [aWorker({ id: 'w', cores: 3, coresUsed: 2, memoryMb: 3, memoryUsedMb: 1 })],
      }),
    );
    expect(u.coresutilization).toBe(66);
    expect(u.memoryutilization).toBe(33);
  });

  it('reports 100 % when there is no capacity', () => {
    const dead = aWorker({ id: 'w', state: 'DEAD', coresUsed: 8, memoryUsedMb: 8192 });
    expect(clusterUtilization(clusterOf({ workers: [dead] }))).toEqual({
      waitingDrivers: 0,
      cores: 0,
      coresused: 0,
      coresutilization: 100,
      memory: 0,
      memoryused: 0,
      memoryutilization: 100,
    });
    expect(clusterUtilization(clusterOf({}))).toMatchObject({
      coresutilization: 100,
      memoryutilization: 100,
    });
  });

  it('does not overflow on large clusters the way Spark’s 32-bit ints do', () => {
    const big = aWorker({ id: 'w', memoryMb: 40_000_000, memoryUsedMb: 30_000_000 });
    expect(clusterUtilization(clusterOf({ workers: [big] })).memoryutilization).toBe(75);
  });
});
