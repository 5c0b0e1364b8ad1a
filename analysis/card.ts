// The benchmark card (metrics.md §10): a device's metrics with their definitions,
// methods, conventions and conditions, plus the raw-data run ids. JSON is the exchange
// format; the text rendering is for terminals.

import { type Conditions, type Metric, metricKey } from './metric.ts';

export const CARD_SCHEMA = 'neuroprobe.benchmark-card';
export const CARD_SCHEMA_VERSION = 2;

export const CARD_SOURCES = ['simulated', 'measured', 'imported'] as const;
export type CardSource = (typeof CARD_SOURCES)[number];

export function sourceLabel(source: CardSource): string {
  return source === 'simulated' ? 'SIMULATED bench data (not a measurement)' : source === 'imported' ? 'imported from a file' : 'measured on real instruments';
}

export interface BenchmarkCard {
  schema: typeof CARD_SCHEMA;
  schemaVersion: typeof CARD_SCHEMA_VERSION;
  device: string;
  protocol: { id: string; version: string };
  runIds: number[];
  runStatus: string;
  /** Where the data came from; simulated data never pass for measured data. */
  source: CardSource;
  analysisVersion: string;
  conditions: Conditions;
  metrics: Metric[];
  /** The instruments of the run and the settings each reported at its start (absent for imports and older runs). */
  instruments?: CardInstrument[];
}

export interface CardInstrument {
  id: string;
  role: string;
  model: string;
  idn: string;
  settings?: Record<string, number | string>;
}

/** One line per instrument: model and the settings it reported. */
export function instrumentLines(card: BenchmarkCard): string[] {
  return (card.instruments ?? []).map((i) => {
    const s = Object.entries(i.settings ?? {}).map(([k, v]) => `${k}=${v}`);
    return `${i.id} (${i.role}): ${i.idn.split(',').slice(0, 2).map((f) => f.trim()).join(' ')}${s.length ? `; ${s.join(', ')}` : ''}`;
  });
}

export function buildCard(args: Omit<BenchmarkCard, 'schema' | 'schemaVersion'>): BenchmarkCard {
  return { schema: CARD_SCHEMA, schemaVersion: CARD_SCHEMA_VERSION, ...args };
}

/**
 * Metric identity on a card: definition id and qualifier, plus `:magnitude` for the
 * magnitude-only NL variant (the one metric reported under two conventions at once).
 */
export function cardKey(m: Metric): string {
  return m.convention === 'magnitude' ? `${metricKey(m)}:magnitude` : metricKey(m);
}

export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

function valueText(m: Metric): string {
  if (m.status === 'missing') return `missing: ${m.reason}`;
  const unit = m.unit === '1' ? '' : ` ${m.unit}`;
  const err = m.stderr !== undefined && Number.isFinite(m.stderr) ? ` ± ${formatNumber(m.stderr, 2)}` : '';
  const q = m.quality?.nrmse !== undefined ? `  (nRMSE ${formatNumber(100 * m.quality.nrmse, 2)} %)` : '';
  // The convention carries categorical results (the winning form, failure vs lower bound).
  const conv = m.convention && m.convention !== 'signed' && m.convention !== 'magnitude' ? `  [${m.convention}]` : '';
  return `${m.convention === 'lower-bound' ? '≥ ' : m.convention === 'upper-bound' ? '≤ ' : ''}${formatNumber(m.value)}${err}${unit}${conv}${q}`;
}

export function renderCardText(card: BenchmarkCard): string {
  const lines: string[] = [];
  lines.push(`Benchmark card — device ${card.device}, ${card.protocol.id} v${card.protocol.version}, run ${card.runIds.join(', ')} (${card.runStatus})`);
  lines.push(`source: ${sourceLabel(card.source)}`);
  lines.push(`analysis ${card.analysisVersion}; definitions: NeuroProbe docs/metrics.md (version 1)`);
  const cond = Object.entries(card.conditions)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`);
  lines.push(`conditions: ${cond.join(', ')}`);
  for (const l of instrumentLines(card)) lines.push(`instrument ${l}`);
  lines.push('');
  const width = Math.max(...card.metrics.map((m) => cardKey(m).length), 10);
  for (const m of card.metrics) lines.push(`  ${cardKey(m).padEnd(width)}  ${valueText(m)}`);
  return lines.join('\n');
}
