// The submissions Lambda: the HTTP API's submissions routes (PROTOCOL.md), configured from its environment.
import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { submissionsHandler } from '../lib/api/submissions.js';

export const handler = lazy(async () =>
  submissionsHandler(await apiDepsFromEnv('sparkplane-submissions')),
);
