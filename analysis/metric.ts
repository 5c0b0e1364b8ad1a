// A metric is a value object: the number never travels without its definition,
// method, convention and the conditions it was measured under. A metric that could
// not be computed is `missing` with the reason — never 0, never an exception.

export type Conditions = Record<string, number | string | boolean | null>;

export interface FitQuality {
  /** RMSE divided by the fitted range (|ΔG|), dimensionless. */
  nrmse?: number;
  /** Akaike information criterion (least-squares form), when models are compared. */
  aic?: number;
  points?: number;
}

interface MetricBase {
  /** Definition id from docs/metrics.md, e.g. `nl.lsq3`. */
  id: string;
  /** Which quantity this is when one definition yields several, e.g. `ltp`, `ltd`. */
  qualifier?: string;
  unit: string;
  method: string;
  convention?: string;
  conditions: Conditions;
}

export interface PresentMetric extends MetricBase {
  status: 'value';
  value: number;
  stderr?: number;
  /** Free-form numbers that belong with the value (e.g. the fitted A beside the label). */
  extra?: Record<string, number>;
  quality?: FitQuality;
}

export interface MissingMetric extends MetricBase {
  status: 'missing';
  reason: string;
}

export type Metric = PresentMetric | MissingMetric;

export function present(
  base: Omit<PresentMetric, 'status' | 'value'>,
  value: number,
): Metric {
  if (!Number.isFinite(value)) {
    return missing(base, `computed value is not finite (${value})`);
  }
  // An uncertainty that could not be computed is left out rather than stored as NaN.
  const { stderr, ...rest } = base;
  return { ...rest, ...(stderr !== undefined && Number.isFinite(stderr) ? { stderr } : {}), status: 'value', value };
}

export function missing(base: Omit<MetricBase, never> & Partial<PresentMetric>, reason: string): MissingMetric {
  return {
    id: base.id,
    ...(base.qualifier !== undefined ? { qualifier: base.qualifier } : {}),
    unit: base.unit,
    method: base.method,
    ...(base.convention !== undefined ? { convention: base.convention } : {}),
    conditions: base.conditions,
    status: 'missing',
    reason,
  };
}

export function metricKey(m: Pick<Metric, 'id' | 'qualifier'>): string {
  return m.qualifier ? `${m.id}:${m.qualifier}` : m.id;
}
