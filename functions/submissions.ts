// The submissions Lambda: the HTTP API's submissions routes (PROTOCOL.md), and Spark's REST
// port behind the optional internal load balancer, configured from its environment.
import { submissionsDepsFromEnv } from '../lib/api/deps.js';
import { lazy } from '../lib/api/http.js';
import { submissionsHandler } from '../lib/api/submissions.js';

export const handler = lazy(async (source) =>
  submissionsHandler(await submissionsDepsFromEnv(source)),
);
