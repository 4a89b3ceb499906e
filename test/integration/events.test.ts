// State-change events on DynamoDB Local: one per change, in order per entity, written with
// the change and published after it; a handler that dies between its commit and its publish
// loses none (cleanup publishes them, with the same ids); copies carry the same id.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/stats.js';
import { masterConfig } from '../../lib/core/config.js';
import type { StateChange } from '../../lib/core/events.js';
import { registerWorker, workerReports } from '../../lib/core/lifecycle.js';
import { applyEvent } from '../../lib/store/apply.js';
import { createDriver } from '../../lib/store/drivers.js';
import { drainOutbox, type EventSink } from '../../lib/store/outbox.js';
import { runSchedulingPass } from '../../lib/store/pass.js';
import { loadRegistration, loadScope } from '../../lib/store/scope.js';
import { ensureTable, openTable, type Table } from '../../lib/store/table.js';
import { aDriver } from '../unit/core/fixtures.js';
import { startApi } from './api.js';
import { localClientConfig, uniqueName } from './aws.js';

const config = masterConfig({});
const NOW = Date.UTC(2026, 11, 2, 12);

/** A sink that keeps what it is given; `down` makes it refuse, as a dead handler never sends. */
function memorySink() {
  const published: StateChange[] = [];
  const sink = {
    down: false,
    failures: 0,
    published,
    async publish(changes: readonly StateChange[]) {
      if (sink.down) throw new Error('the handler died before it published');
      published.push(...changes);
    },
    failed() {
      sink.failures++;
    },
  } satisfies EventSink & Record<string, unknown>;
  return sink;
}

let sink: ReturnType<typeof memorySink>;
let table: Table;

beforeEach(async () => {
  sink = memorySink();
  table = { ...openTable(uniqueName('events'), localClientConfig()), events: sink };
  await ensureTable(table);
});

const register = (id: string, port: number) =>
  applyEvent(
    table,
    () => loadRegistration(table, id, `127.0.0.1:${port}`),
    (c, _b, ctx) =>
      registerWorker(
        c,
        { id, host: '127.0.0.1', port, cores: 4, memoryMb: 4096, webUiUrl: '', resources: {} },
        ctx,
      ),
    { now: NOW, config },
  );

const pass = () =>
  runSchedulingPass(table, config, {
    holder: randomUUID(),
    leaseMs: 10_000,
    maxAttempts: 3,
    now: () => NOW + 1000,
    random: mulberry32(3),
  });

const report = (driverId: string, state: 'FINISHED' | 'FAILED', at: number) =>
  applyEvent(
    table,
    () => loadScope(table, { drivers: [driverId] }),
    (c, budget) =>
      workerReports(c, [{ kind: 'driver', driverId, state }], config, at, budget, 'w1'),
    { now: at, config },
  );

const outboxOfDriver = async (pk: string, id: string) =>
  (await table.doc.send(new GetCommand({ TableName: table.name, Key: { pk, sk: id } }))).Item
    ?.outbox;

const summary = (changes: readonly StateChange[]) =>
  changes.map((c) => `${c.id} ${c.from ?? '-'}>${c.to}`);

describe('state-change events', () => {
  it('one per change, in order per entity, published after each commit, outbox emptied', async () => {
    await register('w1', 7101);
    const { driverId } = await createDriver(table, config, aDriver({ id: 'x' }).description, NOW);
    await pass();
    await report(driverId, 'FINISHED', NOW + 5000);
    // The same report again (a worker's retry): no change, no event.
    await report(driverId, 'FINISHED', NOW + 6000);
    expect(summary(sink.published)).toEqual([
      'worker/w1/1 ->ALIVE',
      `driver/${driverId}/1 ->SUBMITTED`,
      `driver/${driverId}/2 SUBMITTED>RUNNING`,
      `driver/${driverId}/3 RUNNING>FINISHED`,
    ]);
    const running = sink.published[2] as StateChange;
    expect(running).toMatchObject({
      kind: 'driver',
      entityId: driverId,
      seq: 2,
      workerId: 'w1',
      at: NOW + 1000,
      submitTimeMs: NOW,
    });
    expect(await outboxOfDriver('DRIVER#DONE', driverId)).toBeUndefined();
    expect(sink.failures).toBe(0);
  });

  it('a handler that dies between its commit and its publish loses nothing: cleanup publishes, ids kept', async () => {
    await register('w1', 7102);
    sink.down = true;
    const { driverId } = await createDriver(table, config, aDriver({ id: 'x' }).description, NOW);
    await pass();
    // Only the worker's registration reached the bus; the driver carries its events, and a
    // later change adds to them.
    expect(summary(sink.published)).toEqual(['worker/w1/1 ->ALIVE']);
    sink.published.length = 0;
    expect(sink.failures).toBe(2);
    const pending = (await outboxOfDriver('DRIVER', driverId)) as StateChange[];
    expect(summary(pending)).toEqual([
      `driver/${driverId}/1 ->SUBMITTED`,
      `driver/${driverId}/2 SUBMITTED>RUNNING`,
    ]);
    await report(driverId, 'FAILED', NOW + 5000);
    expect(summary((await outboxOfDriver('DRIVER#DONE', driverId)) as StateChange[])).toEqual([
      `driver/${driverId}/1 ->SUBMITTED`,
      `driver/${driverId}/2 SUBMITTED>RUNNING`,
      `driver/${driverId}/3 RUNNING>FAILED`,
    ]);

    // Cleanup leaves outboxes younger than its grace to their handler, then takes them.
    sink.down = false;
    expect(await drainOutbox(table, NOW, 10_000)).toBe(0);
    expect(await drainOutbox(table, NOW + 20_000, 10_000)).toBe(3);
    expect(summary(sink.published)).toEqual([
      `driver/${driverId}/1 ->SUBMITTED`,
      `driver/${driverId}/2 SUBMITTED>RUNNING`,
      `driver/${driverId}/3 RUNNING>FAILED`,
    ]);
    expect(await outboxOfDriver('DRIVER#DONE', driverId)).toBeUndefined();
    expect(await drainOutbox(table, NOW + 20_000, 10_000)).toBe(0);
  });

  it('a publish whose outbox was not removed (a crash after it) is published again with the same ids', async () => {
    await register('w1', 7103);
    const { driverId } = await createDriver(table, config, aDriver({ id: 'x' }).description, NOW);
    const first = [...sink.published];
    // As if the handler died after the publish and before removing the outbox: put it back.
    const { Item } = await table.doc.send(
      new GetCommand({ TableName: table.name, Key: { pk: 'DRIVER', sk: driverId } }),
    );
    await table.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).PutCommand({
        TableName: table.name,
        Item: { ...Item, outbox: first.filter((c) => c.entityId === driverId) },
      }),
    );
    await drainOutbox(table, NOW + 20_000, 10_000);
    const copies = sink.published.filter((c) => c.entityId === driverId);
    expect(copies).toHaveLength(2);
    expect(copies[0]?.id).toBe(copies[1]?.id);
    expect(copies[0]).toEqual(copies[1]);
  });
});

describe('the local sink', () => {
  const cps: Awaited<ReturnType<typeof startApi>>[] = [];
  afterAll(async () => {
    for (const cp of cps) await cp.close();
  });

  it('npm start’s stack appends each event as EventBridge delivers it, one JSON line', async () => {
    const cp = await startApi();
    cps.push(cp);
    const r = await fetch(`${cp.url}/v1/workers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ host: '127.0.0.1', port: 7104, cores: 2, memoryMb: 2048 }),
    });
    expect(r.status).toBe(200);
    const { workerId } = (await r.json()) as { workerId: string };
    const lines = readFileSync(cp.eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        id: `worker/${workerId}/1`,
        source: 'sparkplane',
        'detail-type': 'Spark Worker State Change',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        detail: expect.objectContaining({
          kind: 'worker',
          entityId: workerId,
          to: 'ALIVE',
          seq: 1,
        }),
      },
    ]);
  });
});
