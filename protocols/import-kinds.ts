// What an imported file can hold (a leaf module: the command's help needs it without loading the importers).
export const IMPORT_KINDS = ['ltp-ltd', 'stdp', 'ppf', 'retention', 'polarization', 'endurance', 'energy', 'iv', 'forming'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];
