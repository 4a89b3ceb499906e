// Prometheus' text exposition read by Prometheus' own Python client (PyPI prometheus-client,
// pinned), installed on first use into a virtual environment under .spark/.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { installedVenv } from '../../lib/local/spark.js';
import { repoRoot } from '../paths.js';

const REQUIREMENT = 'prometheus-client==0.26.0';

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedFamily {
  readonly name: string;
  /** `gauge`, `counter`, …; `unknown` for lines without a `# TYPE`. */
  readonly type: string;
  readonly help: string;
  readonly samples: readonly ParsedSample[];
}

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([
    {"name": f.name, "type": f.type, "help": f.documentation,
     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
    for f in text_string_to_metric_families(sys.stdin.read())
]))
`;

/** The parser's Python, installed when missing (the tests' global setup does it first). */
export function parserPython(): string {
  const dir = join(repoRoot, '.spark', REQUIREMENT.replace('==', '-'));
  installedVenv(dir, REQUIREMENT, process.env);
  return join(dir, 'bin', 'python');
}

/** The families of a scrape; throws (the parser's error) when the text is not valid. */
export function parsePrometheus(text: string): ParsedFamily[] {
  const out = execFileSync(parserPython(), ['-c', PARSE], { input: text, encoding: 'utf8' });
  return JSON.parse(out) as ParsedFamily[];
}

/** Every sample of a scrape, `name{labels}` → value. */
export function samplesOf(families: readonly ParsedFamily[]): Map<string, number> {
  const samples = new Map<string, number>();
  for (const f of families) {
    for (const s of f.samples) {
      const labels = Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      samples.set(labels === '' ? s.name : `${s.name}{${labels}}`, s.value);
    }
  }
  return samples;
}
