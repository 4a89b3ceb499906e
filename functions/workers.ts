// The workers Lambda: the HTTP API's workers routes (PROTOCOL.md), configured from its environment.
import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { workersHandler } from '../lib/api/workers.js';

export const handler = lazy(async () => workersHandler(await apiDepsFromEnv('sparkplane-workers')));
