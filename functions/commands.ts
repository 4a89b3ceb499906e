// The commands Lambda: workers long-poll their own command queue through it (PROTOCOL.md).
import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { commandsHandler } from '../lib/api/workers.js';

export const handler = lazy(async () =>
  commandsHandler(await apiDepsFromEnv('sparkplane-commands')),
);
