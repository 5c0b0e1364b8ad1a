import { readFileSync } from 'node:fs';

/** The package version, recorded with every run. */
export const SOFTWARE_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
})();
