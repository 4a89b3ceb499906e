// The shipper against a recording route: what it sends, in what order, and again after a
// failure. The real route and store are in test/e2e/logs.test.ts.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES } from '../../../lib/core/logs.js';
import { LogShipper } from '../../../lib/worker/log-shipper.js';

interface Sent {
  streams: {
    owner: unknown;
    stream: string;
    logToken?: string;
    chunks: { offset: number; data: string }[];
    drop: number[];
    end?: number;
  }[];
}

const driver = { kind: 'driver', driverId: 'driver-1' } as const;
const shippers: LogShipper[] = [];
afterEach(() => {
  for (const s of shippers.splice(0)) s.stop();
});

function setUp(answers: number[] = [], maxBytes = 64 * MAX_CHUNK_BYTES) {
  const dir = mkdtempSync(join(tmpdir(), 'sparkplane-shipper-'));
  writeFileSync(join(dir, 'stdout'), '');
  writeFileSync(join(dir, 'stderr'), '');
  const sent: Sent[] = [];
  const shipper = new LogShipper({
    post: async (body) => {
      sent.push(body as Sent);
      return new Response('{}', { status: answers.shift() ?? 200 });
    },
    // Long: the tests drive it through close().
    intervalMs: 60_000,
    maxBytes,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  shippers.push(shipper);
  return { dir, sent, shipper };
}

const text = (s: Sent['streams'][number]) =>
  s.chunks.map((c) => Buffer.from(c.data, 'base64').toString()).join('');

describe('the log shipper', () => {
  it('ships what was written and the end, with the run’s token, once it closes', async () => {
    const { dir, sent, shipper } = setUp();
    shipper.add(driver, dir, 'token-1');
    appendFileSync(join(dir, 'stdout'), 'hello\n');
    appendFileSync(join(dir, 'stderr'), 'header\n');
    await shipper.close(driver);
    const streams = sent.flatMap((s) => s.streams);
    const stdout = streams.filter((s) => s.stream === 'stdout');
    expect(stdout.map(text).join('')).toBe('hello\n');
    expect(stdout.at(-1)?.end).toBe(6);
    expect(streams.find((s) => s.stream === 'stderr')?.end).toBe(7);
    expect(streams.every((s) => s.logToken === 'token-1')).toBe(true);
  });

  it('sends the same chunk again after a failure: a shipment twice is the same object', async () => {
    const { dir, sent, shipper } = setUp([503]);
    shipper.add(driver, dir, undefined);
    appendFileSync(join(dir, 'stdout'), 'once\n');
    await shipper.close(driver);
    const chunks = sent.flatMap((s) => s.streams.flatMap((st) => st.chunks));
    expect(chunks.filter((c) => c.offset === 0).map((c) => c.data)).toEqual([
      Buffer.from('once\n').toString('base64'),
      Buffer.from('once\n').toString('base64'),
    ]);
    expect(sent.at(-1)?.streams.find((s) => s.stream === 'stdout')?.end).toBe(5);
  });

  it('drops its oldest chunks past the bound, never the newest', async () => {
    const { dir, sent, shipper } = setUp([], MAX_CHUNK_BYTES);
    shipper.add(driver, dir, undefined);
    appendFileSync(join(dir, 'stdout'), 'a'.repeat(MAX_CHUNK_BYTES + 10));
    appendFileSync(join(dir, 'stdout'), 'b'.repeat(MAX_CHUNK_BYTES));
    await shipper.close(driver);
    const stdout = sent.flatMap((s) => s.streams).filter((s) => s.stream === 'stdout');
    expect(stdout.flatMap((s) => s.chunks.map((c) => c.offset))).toEqual([
      0,
      MAX_CHUNK_BYTES,
      2 * MAX_CHUNK_BYTES,
    ]);
    expect(stdout.flatMap((s) => s.drop)).toEqual([0]);
  });

  it('stops shipping when the control plane keeps no logs (404)', async () => {
    const { dir, sent, shipper } = setUp([404]);
    shipper.add(driver, dir, undefined);
    appendFileSync(join(dir, 'stdout'), 'x\n');
    await shipper.close(driver);
    const second = { kind: 'driver', driverId: 'driver-2' } as const;
    shipper.add(second, dir, undefined);
    await shipper.close(second);
    expect(sent).toHaveLength(1);
  });
});
