// The submissions Lambda: the HTTP API's submissions routes (PROTOCOL.md) and the web UI at
// `/`, and Spark's REST port behind the optional internal load balancer, configured from
// its environment.
import { readFile } from 'node:fs/promises';
import { submissionsDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { submissionsHandler } from '../lib/api/submissions.js';

export const handler = lazy(async (source) => {
  const deps = await submissionsDepsFromEnv(source);
  // Built at synth and copied next to this bundle (infra/stack.ts).
  const uiPage = await readFile(new URL('./ui.html', import.meta.url), 'utf8');
  return submissionsHandler({ ...deps, uiPage });
});
