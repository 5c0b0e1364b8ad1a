// Builds the `neuroprobe` command into dist/ (run by `npm install` through `prepare`): one
// JavaScript bundle per command group, split so a command loads only what it uses. Native
// and large optional packages stay external (loaded from node_modules when used).
// cli/neuroprobe.mjs runs this build when it is newer than every source file, else the
// TypeScript sources through tsx.

import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Chunk names carry content hashes: start empty so no stale chunk of an earlier build stays.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { cli: 'cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Less text to parse at every start (names kept: error messages and stack traces stay readable).
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['better-sqlite3', 'serialport', '@serialport/*', 'h5wasm', 'playwright-core', 'electron', 'esbuild', 'tsx', 'vite', 'plotly.js-dist-min', 'plotly.js-gl2d-dist-min'],
  // Bundled CommonJS packages call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __neuroprobeRequire } from 'node:module'; const require = __neuroprobeRequire(import.meta.url);" },
});
