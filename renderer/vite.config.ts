// Builds the renderer (React + plotly.js) into renderer/dist: one static page that runs
// in the Electron window and in any browser through `neuroprobe serve`.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
  oxc: { jsx: { runtime: 'automatic' } },
  logLevel: 'warn',
});
