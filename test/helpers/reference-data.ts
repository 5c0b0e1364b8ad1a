// Real measured data sets are never copied into the repository. Tests on them read the
// folders named by NEUROPROBE_REFERENCE_DATA (a path list, like PATH; `.ci/run` sets it).
// Unset: those tests are reported as skipped, with this variable in their titles. Set: a
// missing file fails the test loudly.

import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const folders = (process.env.NEUROPROBE_REFERENCE_DATA ?? '').split(delimiter).filter(Boolean);

/** Whether the reference data folders are configured. */
export const hasReferenceData = folders.length > 0;

/** Suffix for the titles of tests that need the data. */
export const NEEDS_REFERENCE_DATA = '(real data; set NEUROPROBE_REFERENCE_DATA)';

/** The path of a reference data file; throws naming the folders searched when it is not there. */
export function referenceFile(name: string): string {
  if (!hasReferenceData) throw new Error(`${name}: NEUROPROBE_REFERENCE_DATA is not set`);
  for (const f of folders) {
    const p = join(f, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`reference data file ${name} is missing from NEUROPROBE_REFERENCE_DATA (${folders.join(delimiter)})`);
}
