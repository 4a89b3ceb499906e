// The pinned Spark: one version everywhere it is named, and SPARK_HOME wins when set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sparkHome } from '../../../lib/local/spark.js';
import { SERVER_SPARK_VERSION } from '../../../lib/protocol/spark-rest.js';
import { repoRoot } from '../../paths.js';

describe('the pinned Spark', () => {
  it('is the same version in the REST server, the worker image and the plugin build', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    expect(/ARG SPARK_IMAGE=apache\/spark:(\S+)-python3/.exec(dockerfile)?.[1]).toBe(
      SERVER_SPARK_VERSION,
    );
    const pom = readFileSync(join(repoRoot, 'spark', 'pom.xml'), 'utf8');
    expect(/<spark\.version>([^<]+)<\/spark\.version>/.exec(pom)?.[1]).toBe(SERVER_SPARK_VERSION);
  });

  it('is the one SPARK_HOME names when it is set', () => {
    expect(sparkHome({ SPARK_HOME: '/opt/spark' })).toBe('/opt/spark');
  });
});
