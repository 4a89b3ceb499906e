// Which function serves which route of the HTTP API: one table for the CDK stack and the
// local gateway. Spark's REST server takes every path no other family claims, because its
// error servlet answers unknown paths (spec §a.2).

import { applicationsHandler } from './applications.js';
import { clusterHandler } from './cluster.js';
import type { ApiDeps } from './deps.js';
import { logsHandler } from './logs.js';
import { sessionsHandler } from './sessions.js';
import { submissionsHandler } from './submissions.js';
import { commandsHandler, workersHandler } from './workers.js';

export const API_FUNCTIONS = {
  submissions: submissionsHandler,
  workers: workersHandler,
  commands: commandsHandler,
  applications: applicationsHandler,
  sessions: sessionsHandler,
  logs: logsHandler,
  cluster: clusterHandler,
} as const;

export type ApiFunction = keyof typeof API_FUNCTIONS;

export const API_ROUTES: readonly { readonly routeKey: string; readonly fn: ApiFunction }[] = [
  { routeKey: 'ANY /v1/workers', fn: 'workers' },
  { routeKey: 'ANY /v1/workers/{proxy+}', fn: 'workers' },
  { routeKey: 'POST /v1/workers/{workerId}/commands', fn: 'commands' },
  { routeKey: 'ANY /v1/applications', fn: 'applications' },
  { routeKey: 'ANY /v1/applications/{proxy+}', fn: 'applications' },
  { routeKey: 'ANY /v1/sessions', fn: 'sessions' },
  { routeKey: 'ANY /v1/sessions/{proxy+}', fn: 'sessions' },
  { routeKey: 'ANY /v1/drivers/{driverId}/logs/{stream}', fn: 'logs' },
  { routeKey: 'ANY /v1/applications/{appId}/executors/{executorId}/logs/{stream}', fn: 'logs' },
  { routeKey: 'GET /v1/drivers', fn: 'cluster' },
  { routeKey: 'GET /v1/applications', fn: 'cluster' },
  { routeKey: 'ANY /json', fn: 'cluster' },
  { routeKey: 'ANY /json/{proxy+}', fn: 'cluster' },
  { routeKey: 'ANY /workers/{proxy+}', fn: 'cluster' },
  // Spark's master metrics path; greedy, so that its trailing slash is served too.
  { routeKey: 'ANY /metrics/{proxy+}', fn: 'cluster' },
  { routeKey: '$default', fn: 'submissions' },
];

/** Every route with its handler, built once per function from the same dependencies. */
export function apiRoutes(deps: ApiDeps) {
  const handlers = Object.fromEntries(
    Object.entries(API_FUNCTIONS).map(([name, build]) => [name, build(deps)]),
  ) as Record<ApiFunction, ReturnType<(typeof API_FUNCTIONS)[ApiFunction]>>;
  return API_ROUTES.map(({ routeKey, fn }) => ({ routeKey, handler: handlers[fn] }));
}
