// The sessions Lambda: the HTTP API's Spark Connect session routes, configured from its environment.

import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { sessionsHandler } from '../lib/api/sessions.js';

export const handler = lazy(async () =>
  sessionsHandler(await apiDepsFromEnv('sparkplane-sessions')),
);
