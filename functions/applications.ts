// The applications Lambda: the HTTP API's applications routes (PROTOCOL.md), configured from its environment.

import { applicationsHandler } from '../lib/api/applications.js';
import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';

export const handler = lazy(async () =>
  applicationsHandler(await apiDepsFromEnv('sparkplane-applications')),
);
