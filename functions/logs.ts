// The logs Lambda: drivers' and executors' stdout and stderr, read from the log store.

import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { logsHandler } from '../lib/api/logs.js';

export const handler = lazy(async () => logsHandler(await apiDepsFromEnv('sparkplane-logs')));
