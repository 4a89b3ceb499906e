// Replays MasterSuite's id-pattern and decommission cases (test/cases/master-suite.json)
// through the core, one test per case, as scheduling-cases.test.ts replays the shared
// placement cases. The file is kept in the shape of ../shared/spark-cases to be folded in.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { masterConfig } from '../../../lib/core/config.js';
import { applicationId, driverId } from '../../../lib/core/ids.js';
import { decommissionWorkersOnHosts } from '../../../lib/core/lifecycle.js';
import type { WorkerState } from '../../../lib/core/model.js';
import { repoRoot } from '../../paths.js';
import { aWorker, clusterOf } from './fixtures.js';

type Case = { name: string; source: string; properties?: Record<string, string> } & (
  | { kind: 'driverId' | 'appId'; number: number; expected: string }
  | { kind: 'invalidConfig'; expectedError: string }
  | {
      kind: 'decommissionHosts';
      workers: { id: string; host: string; port: number; state: WorkerState }[];
      hosts: string[];
      expectedCount: number;
      expectedStates: Record<string, WorkerState>;
    }
);

const file = resolve(repoRoot, 'test/cases/master-suite.json');
const cases = JSON.parse(readFileSync(file, 'utf8')) as Case[];
const SUBMITTED = Date.UTC(2023, 10, 1);

describe(`MasterSuite cases (${cases.length} from test/cases/master-suite.json)`, () => {
  it.each(cases.map((c) => [`${c.name} (${c.source})`, c] as const))('%s', (_name, c) => {
    switch (c.kind) {
      case 'driverId': {
        const config = masterConfig(c.properties);
        expect(driverId(config.driverIdPattern, SUBMITTED, c.number)).toBe(c.expected);
        return;
      }
      case 'appId': {
        const config = masterConfig(c.properties);
        expect(
          applicationId(config.appIdPattern, SUBMITTED, c.number, config.appNumberModulo),
        ).toBe(c.expected);
        return;
      }
      case 'invalidConfig':
        expect(() => masterConfig(c.properties)).toThrow(c.expectedError);
        return;
      case 'decommissionHosts': {
        const cluster = clusterOf({ workers: c.workers.map((w) => aWorker(w)) });
        const t = decommissionWorkersOnHosts(cluster, c.hosts);
        expect(t.count).toBe(c.expectedCount);
        const states = Object.fromEntries(
          Object.values(t.cluster.workers).map((w) => [w.id, w.state]),
        );
        expect(states).toEqual(c.expectedStates);
        expect(t.effects.filter((e) => e.type === 'DecommissionWorker')).toHaveLength(
          c.expectedCount,
        );
      }
    }
  });
});
