import { fileURLToPath } from 'node:url';

/** The repository root, wherever the clone lives. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
