// The cluster Lambda: the HTTP API's cluster routes (PROTOCOL.md), configured from its environment.

import { clusterHandler } from '../lib/api/cluster.js';
import { apiDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';

export const handler = lazy(async () => clusterHandler(await apiDepsFromEnv('sparkplane-cluster')));
