// The master page's figures and formats, as Spark's UI shows them (spec §i.2).
import { describe, expect, it } from 'vitest';
import {
  coresLine,
  executorLimitLine,
  executorTables,
  formatDuration,
  formatMemory,
  formatUsage,
  type MasterStateJson,
  summary,
  tables,
} from '../../../lib/ui/view.js';

const worker = (id: string, state: string, used: string[] = []) => ({
  id,
  host: '10.0.0.1',
  port: 7078,
  webuiaddress: '',
  cores: 4,
  coresused: 0,
  memory: 4096,
  memoryused: 0,
  resources: { gpu: { name: 'gpu', addresses: ['0', '1'] } },
  resourcesused: { gpu: { name: 'gpu', addresses: used } },
  state,
  lastheartbeat: 0,
});
const app = (id: string, state: string, starttime: number, duration: number) => ({
  id,
  starttime,
  name: id,
  cores: 2,
  user: 'spark',
  memoryperexecutor: 1024,
  resourcesperexecutor: [],
  submitdate: '',
  state,
  duration,
});
const driver = (id: string, state: string, starttime: number) => ({
  id,
  starttime: String(starttime),
  state,
  cores: 1,
  memory: 1024,
  resources: {},
  submitdate: '',
  worker: 'None',
  mainclass: 'Main',
});

const state: MasterStateJson = {
  url: 'spark://h:6066',
  workers: [worker('w-2', 'ALIVE', ['1']), worker('w-1', 'DEAD'), worker('w-3', 'DECOMMISSIONED')],
  aliveworkers: 1,
  cores: 4,
  coresused: 0,
  memory: 4096,
  memoryused: 0,
  resources: [{ gpu: { name: 'gpu', addresses: ['0', '1'] } }],
  resourcesused: [{ gpu: { name: 'gpu', addresses: ['1'] } }],
  activeapps: [app('a-1', 'RUNNING', 100, 50), app('a-2', 'WAITING', 200, 10)],
  completedapps: [app('a-0', 'FINISHED', 10, 500), app('a-00', 'KILLED', 20, 100)],
  activedrivers: [
    driver('d-3', 'SUBMITTED', 30),
    driver('d-4', 'RUNNING', 40),
    driver('d-5', 'RELAUNCHING', 50),
  ],
  completeddrivers: [driver('d-1', 'KILLED', 10), driver('d-2', 'ERROR', 20)],
  status: 'ALIVE',
};

describe('the master page', () => {
  it('counts workers by state, resources, applications and drivers by state', () => {
    expect(summary(state)).toEqual({
      workers: { alive: 1, dead: 1, decommissioned: 1, unknown: 0 },
      resources: [{ name: 'gpu', total: 2, used: 1 }],
      apps: { running: 2, completed: 2 },
      drivers: {
        running: 3,
        waiting: 1,
        completed: 2,
        killed: 1,
        failed: 0,
        error: 1,
        relaunching: 1,
      },
    });
  });

  it('orders tables as Spark does: workers by id, newest first, completed apps by end', () => {
    const t = tables(state);
    expect(t.workers.map((w) => w.id)).toEqual(['w-1', 'w-2', 'w-3']);
    expect(t.runningApps.map((a) => a.id)).toEqual(['a-2', 'a-1']);
    expect(t.completedApps.map((a) => a.id)).toEqual(['a-0', 'a-00']);
    expect(t.runningDrivers.map((d) => d.id)).toEqual(['d-5', 'd-4', 'd-3']);
    expect(t.completedDrivers.map((d) => d.id)).toEqual(['d-2', 'd-1']);
    expect(t.showResources).toBe(true);
  });

  it("formats memory as Spark's megabytesToString and durations as formatDuration", () => {
    expect(formatMemory(0)).toBe('0 B');
    expect(formatMemory(512)).toBe('512.0 MiB');
    expect(formatMemory(1024)).toBe('1024.0 MiB');
    expect(formatMemory(4096)).toBe('4.0 GiB');
    expect(formatMemory(3 * 1024 * 1024)).toBe('3.0 TiB');
    expect(formatDuration(42)).toBe('42 ms');
    expect(formatDuration(420)).toBe('0.4 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(5 * 60_000)).toBe('5.0 min');
    expect(formatDuration(30 * 60_000)).toBe('30 min');
    expect(formatDuration(3 * 3_600_000)).toBe('3.0 h');
  });

  it('formats usage in core-seconds, past an hour in core-hours, with the cost when known', () => {
    expect(formatUsage(undefined)).toBe('');
    expect(formatUsage({ coreSeconds: 125, memoryMibSeconds: 128_000 })).toBe(
      '125 core-s, 125 GiB-s',
    );
    expect(
      formatUsage({ coreSeconds: 7200, memoryMibSeconds: 7_372_800, estimatedCostUsd: 0.08985 }),
    ).toBe('2.0 core-h, 2.0 GiB-h (~$0.0898)');
  });
});

describe('the application page', () => {
  it("shows cores and the executor limit in Spark's words", () => {
    expect(coresLine({ coresGranted: 4, coresRequested: 2_147_483_647 })).toBe(
      'Unlimited (4 granted)',
    );
    expect(coresLine({ coresGranted: 4, coresRequested: 6 })).toBe('6 (4 granted, 2 left)');
    expect(executorLimitLine(2_147_483_647)).toBe('Unlimited');
    expect(executorLimitLine(3)).toBe('3');
  });

  it('lists live executors apart from removed ones, each by id', () => {
    const e = (executorId: number, s: string) => ({
      executorId,
      workerId: 'w',
      hostPort: 'h:1',
      resourceProfileId: 0,
      cores: 1,
      memoryMb: 1,
      resources: {},
      state: s,
    });
    const t = executorTables([e(3, 'RUNNING'), e(1, 'LOST'), e(0, 'LAUNCHING'), e(2, 'EXITED')]);
    expect(t.live.map((x) => x.executorId)).toEqual([0, 3]);
    expect(t.removed.map((x) => x.executorId)).toEqual([1, 2]);
  });
});
