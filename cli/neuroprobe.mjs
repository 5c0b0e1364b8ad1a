#!/usr/bin/env node
// Entry point of the `neuroprobe` command. Runs the build in dist/ (made by `npm install`)
// when it is newer than every source file; otherwise the TypeScript sources through tsx,
// so an edited checkout never runs stale code. NEUROPROBE_FROM_SOURCE=1 forces the sources.
import { fileURLToPath } from 'node:url';
import { builtIsFresh } from './freshness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

if (process.env.NEUROPROBE_FROM_SOURCE !== '1' && builtIsFresh(root)) {
  await import(new URL('../dist/cli.js', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
