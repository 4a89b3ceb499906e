// lib/core decides and never performs: no AWS SDK, no Node I/O (DESIGN.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../paths.js';

const coreDir = join(repoRoot, 'lib/core');
const FORBIDDEN =
  /^(@aws-sdk\/|aws-cdk-lib|@aws-lambda-powertools\/|@middy\/|node:|fs$|fs\/|http$|https$|net$|child_process$|dgram$|dns$|os$|path$|process$|tls$|worker_threads$)/;

function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    found.push(m[1] as string);
  }
  return found;
}

describe('lib/core is pure', () => {
  const files = readdirSync(coreDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );

  it('has source files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s imports only lib/core modules', (file) => {
    const source = readFileSync(join(coreDir, file), 'utf8');
    const bad = importsOf(source).filter((spec) => FORBIDDEN.test(spec) || !spec.startsWith('.'));
    expect(bad).toEqual([]);
    expect(source).not.toMatch(/\b(process\.env|require\(|fetch\(|globalThis\.)/);
  });
});
