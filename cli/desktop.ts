// `neuroprobe desktop` (`npm run desktop`): bundles the Electron shell and opens the
// window. Where the Electron binary could not be downloaded at install time (as on
// machines without internet access) it says so in one line and points to `serve`.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export class DesktopUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DesktopUnavailable';
  }
}

/** The Electron binary's path, or a DesktopUnavailable error saying why there is none (never downloads). */
export function electronBinary(): string {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    throw new DesktopUnavailable('the electron package is not installed (npm install); meanwhile `npm run serve` shows the same interface in a browser');
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) throw new DesktopUnavailable('the Electron binary is not installed on this machine (npm could not download it); `npm run serve` shows the same interface in a browser');
  return dir;
}

/** Bundles the shell into `out`: main.mjs, engine.mjs (the utility process) and preload.cjs (sandboxed preloads are CommonJS). */
export async function bundleDesktop(out = join(ROOT, 'electron', 'dist')): Promise<string> {
  const { build } = await import('esbuild');
  const common = { bundle: true, platform: 'node' as const, target: 'node20', external: ['electron', 'better-sqlite3', 'serialport', '@serialport/*', 'h5wasm'], logLevel: 'warning' as const };
  await build({ ...common, entryPoints: [join(ROOT, 'electron', 'main.ts')], outfile: join(out, 'main.mjs'), format: 'esm' });
  await build({ ...common, entryPoints: [join(ROOT, 'electron', 'engine.ts')], outfile: join(out, 'engine.mjs'), format: 'esm' });
  await build({ ...common, entryPoints: [join(ROOT, 'electron', 'preload.ts')], outfile: join(out, 'preload.cjs'), format: 'cjs' });
  return out;
}

export async function openDesktop(): Promise<number> {
  const dir = electronBinary();
  const out = await bundleDesktop();
  const binary = (createRequire(join(dir, 'index.js'))(join(dir, 'index.js')) as string).toString();
  return new Promise((resolve) => {
    const child = spawn(binary, [join(out, 'main.mjs')], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 0));
  });
}
