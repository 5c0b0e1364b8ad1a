// Stored beside every metric; bump when any metric's computation changes.
export const ANALYSIS_VERSION = '0.1.0';
