// Stored beside every metric; bump when any metric's computation changes.
// 0.2.0: fit parameters that end on a bound give a missing metric with the reason (STDP); energy.read uses the aperture the run stored.
export const ANALYSIS_VERSION = '0.2.0';
