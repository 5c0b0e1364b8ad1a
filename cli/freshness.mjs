// Whether the build in dist/ is newer than every source file it was made from.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['analysis', 'app', 'cli', 'db', 'drivers', 'protocols', 'bench'];

/** @param {string} root the package folder */
export function builtIsFresh(root) {
  const built = join(root, 'dist', 'cli.js');
  if (!existsSync(built)) return false;
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|py)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const s of SOURCES) if (existsSync(join(root, s))) walk(join(root, s));
  return statSync(built).mtimeMs >= newest;
}
