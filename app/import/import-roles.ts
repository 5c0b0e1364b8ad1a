// Column roles per import kind (a leaf module: the command's help needs it without loading the importers).
import type { ImportKind } from '../../protocols/import-kinds.ts';

/** Column roles each kind accepts (`--columns`), for validation and help. */
export const IMPORT_ROLES: Record<ImportKind, string[]> = {
  'ltp-ltd': ['ltp', 'ltd', 'cycle', 'phase', 'pulse', 'value', 'skip'],
  stdp: ['dt_s', 'dw_percent', 'skip'],
  ppf: ['interval_s', 'a1', 'a2', 'ratio', 'skip'],
  retention: ['t_s', 'g', 'skip'],
  polarization: ['angle_deg', 'light_A', 'dark_A', 'skip'],
  endurance: ['cycle', 'g_hrs', 'g_lrs', 'skip'],
  energy: ['t_s', 'v_V', 'i_A', 'skip'],
  iv: ['v_V', 'i_A', 'sweep', 'skip'],
  forming: ['v_V', 'i_A', 'sweep', 'skip'],
};
