// State changes derived from transitions: one per changed state, numbered per entity.
import { describe, expect, it } from 'vitest';
import { masterConfig } from '../../../lib/core/config.js';
import { stateChanges } from '../../../lib/core/events.js';
import {
  applyPlan,
  driverStateChanged,
  registerWorker,
  submitDriver,
  workerHeartbeat,
} from '../../../lib/core/lifecycle.js';
import { schedule } from '../../../lib/core/schedule.js';
import { aDriver, clusterOf, ctx } from './fixtures.js';

const reg = {
  id: 'w1',
  host: '10.0.0.1',
  port: 7078,
  cores: 4,
  memoryMb: 4096,
  webUiUrl: '',
  resources: {},
};

describe('state changes', () => {
  it('numbers each entity’s states from 1, and carries what a consumer needs', () => {
    const empty = clusterOf({});
    const registered = registerWorker(empty, reg, ctx(1000)).cluster;
    expect(stateChanges(empty, registered, 1000)).toEqual([
      { id: 'worker/w1/1', kind: 'worker', entityId: 'w1', seq: 1, to: 'ALIVE', at: 1000 },
    ]);
    const description = aDriver({ id: 'x' }).description;
    const submitted = submitDriver(registered, { id: 'd1', seq: 0 }, description, 2000).cluster;
    const placed = applyPlan(
      submitted,
      schedule(submitted, masterConfig({}), () => 0),
      3000,
    ).cluster;
    const ended = driverStateChanged(
      placed,
      { driverId: 'd1', state: 'FAILED', exception: 'exit 3' },
      9000,
    ).cluster;
    expect(stateChanges(submitted, placed, 3000)).toEqual([
      {
        id: 'driver/d1/2',
        kind: 'driver',
        entityId: 'd1',
        seq: 2,
        from: 'SUBMITTED',
        to: 'RUNNING',
        at: 3000,
        submitTimeMs: 2000,
        workerId: 'w1',
      },
    ]);
    expect(stateChanges(placed, ended, 9000)).toMatchObject([
      { id: 'driver/d1/3', from: 'RUNNING', to: 'FAILED', message: 'exit 3' },
    ]);
  });

  it('a change that leaves every state as it was (a heartbeat, a repeated report) is none', () => {
    const registered = registerWorker(clusterOf({}), reg, ctx(1000)).cluster;
    const beat = workerHeartbeat(registered, 'w1', 5000).cluster;
    expect(stateChanges(registered, beat, 5000)).toEqual([]);
    expect(beat.workers.w1?.stateSeq).toBe(1);
  });
});
