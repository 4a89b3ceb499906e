// `npm run bench -- <name>`: runs one benchmark (or all); each prints JSON lines.
import { apiBench } from './api.js';
import { e2eBench } from './e2e.js';
import { idleBench } from './idle.js';
import { launchBurstBench } from './launch-burst.js';
import { logsBench } from './logs.js';
import { schedulerBench } from './scheduler.js';
import { sessionsBench } from './sessions.js';
import { storeBench } from './store.js';
import { vsSparkBench } from './vs-spark.js';

const benches: Record<string, () => Promise<void>> = {
  api: apiBench,
  e2e: e2eBench,
  idle: idleBench,
  'launch-burst': launchBurstBench,
  logs: logsBench,
  scheduler: schedulerBench,
  sessions: sessionsBench,
  store: storeBench,
  'vs-spark': vsSparkBench,
};

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in benches));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`,
  );
  process.exit(1);
}
for (const name of names.length > 0 ? names : Object.keys(benches)) {
  await (benches[name] as () => Promise<void>)();
}
