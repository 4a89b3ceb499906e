// Spark Connect sessions in the core: what a session's driver is, its states, and the idle
// clock on a simulated one.
import { describe, expect, it } from 'vitest';
import { driverCommand } from '../../../lib/core/driver-command.js';
import { masterState } from '../../../lib/core/master-state.js';
import {
  CONNECT_SERVER,
  type DriverSession,
  reportSession,
  requestStop,
  SESSION_STOP_GRACE_MS,
  sessionAddress,
  sessionPlan,
  sessionState,
  stopOverdue,
} from '../../../lib/core/session.js';
import { driverDescription } from '../../../lib/core/submission.js';
import { aDriver, anApp, clusterOf } from './fixtures.js';

const FIFTEEN_MIN = 15 * 60_000;
const session: DriverSession = { idleTimeoutMs: 10_000, tokenHash: 'h' };
const aSession = (overrides: Parameters<typeof aDriver>[0], s: DriverSession = session) => ({
  ...aDriver(overrides),
  session: s,
});

describe('sessionPlan', () => {
  it('is the Connect server on spark-internal, dynamic allocation from 0, not supervised', () => {
    const plan = sessionPlan({ name: 'nb', sparkProperties: { 'spark.executor.cores': '2' } }, 1);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.submission).toMatchObject({
      appResource: 'spark-internal',
      mainClass: CONNECT_SERVER,
      appArgs: [],
    });
    expect(plan.submission.sparkProperties).toMatchObject({
      'spark.app.name': 'nb',
      'spark.executor.cores': '2',
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
      'spark.dynamicAllocation.minExecutors': '0',
      'spark.dynamicAllocation.initialExecutors': '0',
      'spark.connect.grpc.binding.port': '15002',
      'spark.sparkplane.session': 'true',
    });
    expect(plan.idleTimeoutMs).toBe(1);
    const built = driverDescription(plan.submission, { placeholder: () => undefined });
    if (!built.ok) throw new Error(built.message);
    expect(built.description.supervise).toBe(false);
  });

  it('takes the idle timeout from the request, else the property, else the default', () => {
    const idle = (r: Parameters<typeof sessionPlan>[0]) => {
      const plan = sessionPlan(r, FIFTEEN_MIN);
      return plan.ok ? plan.idleTimeoutMs : plan.message;
    };
    expect(idle({})).toBe(FIFTEEN_MIN);
    expect(idle({ sparkProperties: { 'spark.sparkplane.session.idleTimeout': '2min' } })).toBe(
      120_000,
    );
    expect(idle({ sparkProperties: { 'spark.sparkplane.session.idleTimeout': '90' } })).toBe(
      90_000,
    );
    expect(
      idle({
        idleTimeoutSec: 5,
        sparkProperties: { 'spark.sparkplane.session.idleTimeout': '1h' },
      }),
    ).toBe(5000);
    expect(idle({ sparkProperties: { 'spark.sparkplane.session.idleTimeout': 'soon' } })).toMatch(
      /time/,
    );
  });

  it.each([
    'spark.connect.authenticate.token',
    'spark.connect.grpc.binding.address',
    'spark.master',
    'spark.driver.supervise',
  ])('refuses %s, which sparkplane sets', (key) => {
    const plan = sessionPlan({ sparkProperties: { [key]: 'x' } }, FIFTEEN_MIN);
    expect(plan).toMatchObject({ ok: false, field: `sparkProperties.${key}` });
  });

  it('runs spark-submit in client mode, the server bound to its worker’s address', () => {
    const plan = sessionPlan({}, FIFTEEN_MIN);
    if (!plan.ok) throw new Error(plan.message);
    const built = driverDescription(plan.submission, { placeholder: () => undefined });
    if (!built.ok) throw new Error(built.message);
    const { argv, expand } = driverCommand('driver-1', built.description);
    expect(argv.slice(0, 5)).toEqual([
      '{{SPARK_HOME}}/bin/spark-submit',
      '--master',
      '{{SPARKPLANE_MASTER}}',
      '--deploy-mode',
      'client',
    ]);
    const bind = argv.indexOf('spark.connect.grpc.binding.address={{HOSTNAME}}');
    expect(bind).toBeGreaterThan(0);
    expect(expand).toContain(bind);
    expect(argv.slice(-2)).toEqual([CONNECT_SERVER, 'spark-internal']);
  });
});

describe('sessionState', () => {
  it('follows its driver; READY once the server listens; STOPPING once asked', () => {
    expect(sessionState(aSession({ id: 'd', state: 'SUBMITTED' }))).toBe('STARTING');
    expect(sessionState(aSession({ id: 'd', state: 'RUNNING' }))).toBe('STARTING');
    const listening = { ...session, port: 15002 };
    expect(sessionState(aSession({ id: 'd', state: 'RUNNING' }, listening))).toBe('READY');
    expect(sessionState(aSession({ id: 'd', state: 'RUNNING' }, requestStop(listening, 5)))).toBe(
      'STOPPING',
    );
    expect(sessionState(aSession({ id: 'd', state: 'FINISHED' }))).toBe('STOPPED');
    expect(sessionState(aSession({ id: 'd', state: 'KILLED' }))).toBe('STOPPED');
    expect(sessionState(aSession({ id: 'd', state: 'ERROR' }))).toBe('FAILED');
    expect(sessionState(aSession({ id: 'd', state: 'FAILED' }))).toBe('FAILED');
  });

  it('has an address on its worker while it listens, localhost for a loopback worker', () => {
    const listening = { ...session, port: 15003 };
    const on = (hostPort: string) =>
      sessionAddress(aSession({ id: 'd', state: 'RUNNING', workerHostPort: hostPort }, listening));
    expect(on('127.0.0.1:7078')).toBe('sc://localhost:15003');
    expect(on('10.0.3.7:7078')).toBe('sc://10.0.3.7:15003');
    expect(
      sessionAddress(aSession({ id: 'd', state: 'FINISHED', workerHostPort: '10.0.3.7:7078' })),
    ).toBeUndefined();
  });
});

describe('the idle clock (simulated time)', () => {
  it('starts when the server listens idle, stops while busy, and stops the session after the timeout', () => {
    let s: DriverSession = session;
    const report = (now: number, busy: boolean, port?: number) => {
      const next = reportSession(s, { busy, ...(port === undefined ? {} : { port }) }, now);
      if (next) s = next;
      return next;
    };
    expect(report(0, false)).toBeUndefined(); // not listening yet: nothing to store
    expect(report(1000, false, 15002)).toEqual({ ...session, port: 15002, idleSinceMs: 1000 });
    expect(report(2000, false, 15002)).toBeUndefined(); // nothing changed: no write
    expect(report(3000, true, 15002)).toEqual({ ...session, port: 15002 });
    expect(report(4000, true, 15002)).toBeUndefined();
    expect(report(5000, false, 15002)?.idleSinceMs).toBe(5000);
    expect(report(14_999, false, 15002)).toBeUndefined();
    expect(report(15_000, false, 15002)).toMatchObject({
      stopRequestedMs: 15_000,
      stopReason: 'idle',
    });
    // Asked once: later reports change nothing more.
    expect(report(16_000, false, 15002)).toBeUndefined();
  });

  it('keeps a DELETE’s reason, and lets a second DELETE kill after the grace time', () => {
    const asked = requestStop(session, 100);
    expect(asked).toMatchObject({ stopRequestedMs: 100, stopReason: 'deleted' });
    expect(requestStop(asked, 200)).toBe(asked);
    expect(stopOverdue(asked, 100 + SESSION_STOP_GRACE_MS - 1)).toBe(false);
    expect(stopOverdue(asked, 100 + SESSION_STOP_GRACE_MS)).toBe(true);
    expect(stopOverdue(session, 1e12)).toBe(false);
  });
});

describe('/json', () => {
  it('marks a session’s driver and application, after Spark’s fields, with no token', () => {
    const driver = aSession(
      { id: 'driver-1', state: 'RUNNING', workerId: 'w', workerHostPort: '127.0.0.1:7078' },
      { ...session, name: 'nb', port: 15002 },
    );
    const app = anApp({ id: 'app-1' });
    const sessionApp = { ...app, description: { ...app.description, driverAddress: 'driver-1' } };
    const json = masterState(clusterOf({ drivers: [driver], applications: [sessionApp] }), {
      url: 'spark://m:7077',
      now: 0,
    }) as { activedrivers: Record<string, unknown>[]; activeapps: Record<string, unknown>[] };
    const [d] = json.activedrivers;
    // Spark's nine fields, then sparkplane's: the session's mark and what it held.
    expect(Object.keys(d ?? {}).slice(9)).toEqual(['session', 'usage']);
    expect(d?.session).toEqual({ name: 'nb', state: 'READY', url: 'sc://localhost:15002' });
    expect(json.activeapps[0]?.session).toBe('driver-1');
  });
});
