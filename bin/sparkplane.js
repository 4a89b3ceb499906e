#!/usr/bin/env node
// The `sparkplane` command: the CLI is TypeScript, run through tsx's loader as npm start is.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');
