// Drivers' timeouts end to end, on `npm start`'s stack with real worker agents: a driver
// bigger than any worker ends ERROR once its queue timeout passes, saying why; a sleeping
// driver is killed past its maximum runtime and ends KILLED with the reason; both show in
// Spark's status and in /json with what they held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../harness/spark-submit.js';
import { type Cluster, fixture, startCluster } from './cluster.js';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({
    workers: 1,
    cores: 2,
    memory: '1g',
    sparkProperties: { 'spark.sparkplane.driver.queueTimeout': '3s' },
  });
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

const status = (id: string) => c.get(`/v1/submissions/status/${id}`);

async function ended(id: string): Promise<Record<string, unknown>> {
  return c.until(
    `driver ${id} to end`,
    async () => {
      const s = await status(id);
      return ['SUBMITTED', 'RUNNING'].includes(String(s.driverState)) ? undefined : s;
    },
    60_000,
  );
}

const completed = async (id: string) => {
  const json = await c.get('/json');
  return (json.completeddrivers as { id: string; usage: { coreSeconds: number } }[]).find(
    (d) => d.id === id,
  );
};

describe('driver timeouts', () => {
  it('a driver bigger than any worker ends ERROR after its queue timeout, saying why', async () => {
    const created = await c.post(
      '/v1/submissions/create',
      createRequest(fixture('sleep.mjs'), { props: { 'spark.driver.memory': '4g' } }),
    );
    const id = String(created.submissionId);
    const s = await ended(id);
    expect(s.driverState).toBe('ERROR');
    expect(s.message).toBe(
      'Exception from the cluster:\nNot placed within its queue timeout (3s): no ALIVE worker has 4096 MiB of memory (the most any has is 1024 MiB)',
    );
    expect((await completed(id))?.usage.coreSeconds).toBe(0);
  }, 90_000);

  it('a sleeping driver past its maximum runtime is killed, KILLED with the reason', async () => {
    const created = await c.post(
      '/v1/submissions/create',
      createRequest(fixture('sleep.mjs'), {
        props: { 'spark.sparkplane.driver.maxRuntime': '3s' },
      }),
    );
    const id = String(created.submissionId);
    const s = await ended(id);
    expect(s.driverState).toBe('KILLED');
    expect(s.message).toBe(
      'Exception from the cluster:\nKilled: it ran past its maximum runtime (3s)',
    );
    // One core from its launch to its end: at least the 3 s it was allowed.
    expect((await completed(id))?.usage.coreSeconds).toBeGreaterThanOrEqual(3);
    expect((await c.get('/json')).coresused).toBe(0);
  }, 90_000);
});
