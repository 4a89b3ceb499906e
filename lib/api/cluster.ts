// The master's JSON view (spec §i.1): GET /json, /json/<field>, /json/clusterutilization.

import { masterState, masterStateField } from '../core/master-state.js';
import { loadListedCluster } from '../store/cluster.js';
import type { ApiDeps } from './deps.js';
import { requireCredential } from './guards.js';
import { ApiError, json, jsonRouter, lambdaHandler } from './http.js';

export function clusterHandler(deps: ApiDeps) {
  const { router, on } = jsonRouter(deps.logger);
  router.use(requireCredential(deps.auth, 'submission'));
  /** The master URL as clients reach it: this API's host on Spark's REST port. */
  const url = (domainName: string) =>
    `spark://${domainName.replace(/:\d+$/, '')}:${deps.master.restPort}`;
  const domain = (event: unknown) =>
    (event as { requestContext: { domainName: string } }).requestContext.domainName;

  on('GET', '/json', async (reqCtx) => {
    const cluster = await loadListedCluster(deps.table);
    return json(200, masterState(cluster, { url: url(domain(reqCtx.event)), now: deps.now() }));
  });
  on('GET', '/json/:field', async (reqCtx) => {
    const field = reqCtx.params.field ?? '';
    // Spark's route is `/json/<letters>`; anything else is not a field.
    if (!/^[A-Za-z]{1,64}$/.test(field)) throw new ApiError(404, 'not_found', `No field ${field}`);
    const cluster = await loadListedCluster(deps.table);
    const options = { url: url(domain(reqCtx.event)), now: deps.now() };
    return json(200, masterStateField(cluster, options, field));
  });
  return lambdaHandler(router);
}
