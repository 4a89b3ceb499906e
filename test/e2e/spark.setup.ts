// Vitest global setup: the pinned Spark and sparkplane's Spark jars, once, before any test
// file starts workers that run them (npm start in the UI tests does too), and Spark's Connect
// client for Python.
import { connectClientPython, ensureSparkJars, sparkHome } from '../../lib/local/spark.js';

export default function setup(): void {
  sparkHome();
  connectClientPython();
  ensureSparkJars();
}
