import { describe, expect, it } from 'vitest';
import {
  applicationsTable,
  driversTable,
  memory,
  outcome,
  progressLine,
  sessionsTable,
  statusText,
  table,
  time,
  workersTable,
} from '../../../lib/cli/format.js';

// Local times, as the CLI prints them: the same in every zone.
const at = new Date(2025, 0, 2, 3, 4, 5).getTime();
const running = {
  submissionId: 'driver-1',
  success: true,
  driverState: 'RUNNING',
  workerId: 'worker-a',
  workerHostPort: '10.0.0.1:7078',
} as const;

describe('tables', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(
      table([
        ['A', 'LONG HEADER', 'C'],
        ['wide cell', 'x', 'last'],
        ['y', '', ''],
      ]),
    ).toBe(['A          LONG HEADER  C', 'wide cell  x            last', 'y'].join('\n'));
  });

  it('shows drivers, sessions marked, with placeholders for what is not known yet', () => {
    const drivers = [
      {
        driverId: 'driver-2',
        state: 'SUBMITTED',
        mainClass: 'org.example.Main',
        cores: 1,
        memoryMb: 1024,
        submitTimeMs: at,
      },
      {
        driverId: 'driver-1',
        state: 'RUNNING',
        mainClass: 'org.apache.spark.sql.connect.service.SparkConnectServer',
        cores: 2,
        memoryMb: 4096,
        submitTimeMs: at,
        workerId: 'worker-a',
        appId: 'app-1',
        session: true,
      },
    ];
    expect(driversTable(drivers).split('\n')).toEqual([
      'DRIVER    STATE      CORES  MEMORY      SUBMITTED            WORKER    APP    MAIN CLASS',
      'driver-2  SUBMITTED  1      1024.0 MiB  2025-01-02 03:04:05  -         -      org.example.Main',
      'driver-1  RUNNING    2      4.0 GiB     2025-01-02 03:04:05  worker-a  app-1  org.apache.spark.sql.connect.service.SparkConnectServer (session)',
    ]);
    expect(driversTable([])).toBe('no drivers');
  });

  it('shows applications with their cores granted of the most they may have', () => {
    const app = {
      appId: 'app-1',
      name: 'Spark Pi',
      user: 'spark',
      state: 'RUNNING',
      coresGranted: 2,
      executorMemoryMb: 512,
      submitTimeMs: at,
    };
    expect(
      applicationsTable([app, { ...app, appId: 'app-0', maxCores: 4, driverId: 'driver-0' }]),
    ).toBe(
      [
        'APP    STATE    CORES  MEMORY/EXECUTOR  SUBMITTED            USER   DRIVER    NAME',
        'app-1  RUNNING  2      512.0 MiB        2025-01-02 03:04:05  spark  -         Spark Pi',
        'app-0  RUNNING  2/4    512.0 MiB        2025-01-02 03:04:05  spark  driver-0  Spark Pi',
      ].join('\n'),
    );
  });

  it("shows workers' capacity and what is used of it, as Spark's UI does", () => {
    const worker = {
      id: 'worker-a',
      host: '10.0.0.1',
      port: 7078,
      state: 'ALIVE',
      cores: 4,
      coresused: 1,
      memory: 8192,
      memoryused: 1024,
    };
    expect(workersTable([worker])).toBe(
      [
        'WORKER    ADDRESS        STATE  CORES       MEMORY',
        'worker-a  10.0.0.1:7078  ALIVE  4 (1 used)  8.0 GiB (1024.0 MiB used)',
      ].join('\n'),
    );
  });

  it('shows sessions with their address once they have one', () => {
    const session = {
      sessionId: 'driver-1',
      state: 'READY',
      url: 'sc://localhost:15002',
      coresInUse: 3,
      executors: [{}, {}],
      idleTimeoutSec: 900,
      submitTimeMs: at,
    };
    expect(
      sessionsTable([
        session,
        { ...session, sessionId: 'driver-0', state: 'STARTING', url: undefined, name: 'nb' },
      ]),
    ).toBe(
      [
        'SESSION   STATE     CORES  EXECUTORS  IDLE TIMEOUT  SUBMITTED            URL                   NAME',
        'driver-1  READY     3      2          900s          2025-01-02 03:04:05  sc://localhost:15002  -',
        'driver-0  STARTING  3      2          900s          2025-01-02 03:04:05  -                     nb',
      ].join('\n'),
    );
  });

  it("writes memory in Spark's units and times to the second", () => {
    expect([memory(0), memory(2047), memory(2048), memory(3 * 1024 * 1024)]).toEqual([
      '0.0 MiB',
      '2047.0 MiB',
      '2.0 GiB',
      '3.0 TiB',
    ]);
    expect(time(at + 999)).toBe('2025-01-02 03:04:05');
  });
});

describe("a driver's status and --wait", () => {
  it('says where the driver runs, and the cluster message below', () => {
    expect(statusText(running)).toBe('driver-1 RUNNING on worker-a (10.0.0.1:7078)');
    expect(
      statusText({
        submissionId: 'driver-1',
        success: true,
        driverState: 'ERROR',
        message: 'Exception from the cluster:\nboom',
      }),
    ).toBe('driver-1 ERROR\nException from the cluster:\nboom');
  });

  it('prints a progress line when the state or the worker changes, only then', () => {
    const submitted = {
      submissionId: 'driver-1',
      success: true,
      driverState: 'SUBMITTED',
    } as const;
    expect(progressLine(undefined, submitted)).toBe('driver-1 SUBMITTED');
    expect(progressLine(submitted, submitted)).toBeUndefined();
    expect(progressLine(submitted, running)).toBe(
      'driver-1 SUBMITTED → RUNNING on worker-a (10.0.0.1:7078)',
    );
    expect(progressLine(running, running)).toBeUndefined();
  });

  it('ends 0 when the driver FINISHED, 1 with why when it ended otherwise, and waits while active', () => {
    expect(outcome(running)).toBeUndefined();
    expect(outcome({ ...running, driverState: 'UNKNOWN' })).toBeUndefined();
    expect(outcome({ ...running, driverState: 'FINISHED' })).toEqual({ exitCode: 0 });
    expect(outcome({ ...running, driverState: 'KILLED' })).toEqual({
      exitCode: 1,
      message: 'driver-1 KILLED',
    });
    expect(
      outcome({
        ...running,
        driverState: 'ERROR',
        message: 'Exception from the cluster:\nno node',
      }),
    ).toEqual({ exitCode: 1, message: 'driver-1 ERROR: Exception from the cluster: no node' });
    expect(outcome({ ...running, driverState: 'RELAUNCHING' })).toEqual({
      exitCode: 1,
      message:
        'driver-1 RELAUNCHING: its worker was lost; supervised, it runs again under a new id (see sparkplane list)',
    });
  });
});
