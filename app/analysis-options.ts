// Options of a stored run's re-analysis (a leaf module: the command's help needs it without loading the analysis).
export const ANALYSIS_OPTIONS: Record<string, string> = {
  skipCycles: 'leave out the first N cycles (e.g. forming or warm-up) — LTP/LTD',
  windowCriterion: 'memory-window failure criterion W = G_LRS/G_HRS (default 2) — endurance',
  consecutive: 'cycles W must stay below the criterion to count as failure (default 10) — endurance',
};
