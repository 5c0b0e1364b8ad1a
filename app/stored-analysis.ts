// Analysis of stored runs: recomputation from raw samples (with options), figures for
// the HTML card, device-model export and comparison tables.

import { type BenchmarkCard, buildCard, cardKey } from '../analysis/card.ts';
import type { CardFigure, FigureTrace } from '../analysis/card-render.ts';
import { yNu } from '../analysis/exp-model.ts';
import type { LtpLtdCycle } from '../analysis/ltp-ltd.ts';
import type { Metric } from '../analysis/metric.ts';
import { type PiecewiseStep, type SoftBoundsPmax, aihwkitPiecewiseStep, aihwkitPythonSnippet, aihwkitSoftBoundsPmax, neurosimParameters } from '../analysis/model-export.ts';
import { median, medianCurve } from '../analysis/stats.ts';
import { decimateMinMax } from '../analysis/decimate.ts';
import { ANALYSIS_VERSION } from '../analysis/version.ts';
import type { Db } from '../db/database.ts';
import { getRun, readAllChannels, readMetrics, type RunRecord } from '../db/reader.ts';
import { readRange } from './plot-read.ts';
import { insertMetrics } from '../db/recorder.ts';
import { IMPORTED_PROTOCOL, type ImportedParams, analyseImported, importedCycles } from '../protocols/imported.ts';
import { type LtpLtdParams, cyclesFromRunData } from '../protocols/ltp-ltd.ts';
import type { AnalysisResult, RunData } from '../protocols/protocol.ts';
import { collectGarbageIfDue } from '../protocols/heap-policy.ts';
import { getProtocol } from '../protocols/registry.ts';
import { runConditions, withStationConditions } from '../protocols/station.ts';
import { ANALYSIS_OPTIONS } from './analysis-options.ts';
export { ANALYSIS_OPTIONS };

/** Options `neuroprobe analyze --set` understands, with what they do. */

export type AnalysisOptions = Record<string, number>;

export class AnalysisOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

function checkOptions(options: AnalysisOptions): void {
  for (const [k, v] of Object.entries(options)) {
    if (!(k in ANALYSIS_OPTIONS)) throw new AnalysisOptionError(`unknown analysis option "${k}"; known: ${Object.keys(ANALYSIS_OPTIONS).join(', ')}`);
    if (!Number.isFinite(v)) throw new AnalysisOptionError(`analysis option ${k}: "${v}" is not a number`);
  }
}

/** Drops the rows of the first `skip` cycles (runs with a `cycle` channel). */
function skipCycles(data: RunData, skip: number): RunData {
  const cycle = data.channels.cycle;
  if (!cycle || skip <= 0) return data;
  // Cycle 0 holds the read-noise reads taken before the first cycle: never skipped.
  const firstCycles = [...new Set(Array.from(cycle))].filter((c) => c >= 1).sort((a, b) => a - b).slice(0, skip);
  const drop = new Set(firstCycles);
  const keep: number[] = [];
  for (let i = 0; i < cycle.length; i++) if (!drop.has(cycle[i])) keep.push(i);
  return { channels: Object.fromEntries(Object.entries(data.channels).map(([k, v]) => [k, keep.map((i) => v[i])])) };
}

/** Samples per channel read at a time when a stored run is analysed as a stream. */
const STREAM_WINDOW = 65_536;

/**
 * The analysis of a stored run. A protocol that analyses incrementally is fed the stored
 * samples window by window (memory independent of the run's length); otherwise, and for
 * options that need the whole record, the channels are read whole.
 */
export function analyseStoredRun(db: Db, run: RunRecord, options: AnalysisOptions = {}): AnalysisResult {
  const protocol = run.protocolId === IMPORTED_PROTOCOL.id ? null : getProtocol(run.protocolId);
  const incremental = protocol && !options.skipCycles ? protocol.incremental?.(run.params as never) : undefined;
  if (!protocol || !incremental) return analyseRun(run, { channels: readAllChannels(db, run.id) }, options);
  checkOptions(options);
  const channels = db.prepare('SELECT c.id, c.name, COALESCE(SUM(k.n), 0) AS n FROM channels c LEFT JOIN chunks k ON k.channel_id = c.id WHERE c.run_id = ? GROUP BY c.id').all(run.id) as { id: number; name: string; n: number }[];
  const longest = Math.max(0, ...channels.map((c) => c.n));
  for (let i = 0; i < longest; i += STREAM_WINDOW) {
    const chunk: Record<string, number[]> = {};
    for (const c of channels) if (c.n > i) chunk[c.name] = readRange(db, c.id, i, Math.min(c.n, i + STREAM_WINDOW)) as unknown as number[];
    incremental.push({ channels: chunk });
    collectGarbageIfDue();
  }
  return withRunConditions(run, protocol, incremental.result());
}

function withRunConditions(run: RunRecord, protocol: ReturnType<typeof getProtocol>, analysed: AnalysisResult): AnalysisResult {
  const stationConditions = runConditions(JSON.parse(run.station.json) as Parameters<typeof runConditions>[0], protocol.roles(run.params as never));
  return { metrics: withStationConditions(analysed.metrics, { conditions: stationConditions }), conditions: { ...analysed.conditions, ...stationConditions } };
}

export function analyseRun(run: RunRecord, data: RunData, options: AnalysisOptions = {}): AnalysisResult {
  checkOptions(options);
  if (run.protocolId === IMPORTED_PROTOCOL.id) return analyseImported(data, { ...(run.params as unknown as ImportedParams), ...options });
  const protocol = getProtocol(run.protocolId);
  const analysed = protocol.analyse(options.skipCycles ? skipCycles(data, options.skipCycles) : data, run.params);
  const result = withRunConditions(run, protocol, analysed);
  if (options.skipCycles) for (const m of result.metrics) m.conditions = { ...m.conditions, skipped_cycles: options.skipCycles };
  return result;
}

export function optionsVersion(options: AnalysisOptions): string {
  const keys = Object.keys(options).sort();
  return keys.length ? `${ANALYSIS_VERSION}+${keys.map((k) => `${k}=${options[k]}`).join(',')}` : ANALYSIS_VERSION;
}

export function cardOf(run: RunRecord, metrics: Metric[], analysisVersion: string): BenchmarkCard {
  return buildCard({
    device: run.device,
    protocol: { id: run.protocolId, version: run.protocolVersion },
    runIds: [run.id],
    runStatus: run.status,
    source: run.source,
    analysisVersion,
    conditions: metrics[0]?.conditions ?? {},
    metrics,
    ...(run.instruments.length
      ? {
          instruments: run.instruments.map((i) => ({
            id: i.instrument_id,
            role: i.role,
            model: i.model,
            idn: i.idn,
            ...(i.settings_json ? { settings: JSON.parse(i.settings_json) as Record<string, number | string> } : {}),
          })),
        }
      : {}),
  });
}

/** Re-analyses the stored raw samples and stores the new metrics beside the old ones. */
export function reanalyseAndStore(db: Db, runId: number, options: AnalysisOptions): BenchmarkCard {
  const run = getRun(db, runId);
  const { metrics } = analyseStoredRun(db, run, options);
  const version = optionsVersion(options);
  insertMetrics(db, runId, version, metrics);
  return cardOf(run, metrics, version);
}

/** Complete LTP/LTD cycles of a stored run (measured or imported), for figures and model export; `skip` leaves out the first cycles. */
export function storedLtpLtdCycles(db: Db, runId: number, skip = 0): LtpLtdCycle[] {
  const run = getRun(db, runId);
  const data = { channels: readAllChannels(db, runId) };
  if (run.protocolId === IMPORTED_PROTOCOL.id) {
    const p = run.params as unknown as ImportedParams;
    if (p.as !== 'ltp-ltd') return [];
    return importedCycles(data, { ...p, skipCycles: skip }).cycles;
  }
  if (run.protocolId === 'ltp-ltd') return cyclesFromRunData(data, run.params as LtpLtdParams).slice(skip);
  return [];
}

function metricOf(ms: Metric[], key: string): Metric | undefined {
  return ms.find((m) => cardKey(m) === key);
}

/** The options an analysis version was made with (`0.1.0+skipCycles=1` → { skipCycles: 1 }). */
export function optionsOfVersion(version: string | null): AnalysisOptions {
  const plus = version?.indexOf('+') ?? -1;
  if (!version || plus < 0) return {};
  return Object.fromEntries(
    version
      .slice(plus + 1)
      .split(',')
      .map((kv) => kv.split('='))
      .filter(([k, v]) => k && v !== undefined && Number.isFinite(Number(v)))
      .map(([k, v]) => [k, Number(v)]),
  );
}

export function cardFigures(db: Db, runId: number): CardFigure[] {
  const run = getRun(db, runId);
  const { metrics, analysisVersion } = readMetrics(db, runId);
  // The figures show what the card's analysis used: cycles it skipped are not drawn.
  const skip = optionsOfVersion(analysisVersion).skipCycles ?? 0;
  const cycles = storedLtpLtdCycles(db, runId, skip);
  if (cycles.length > 0) {
    const figs: CardFigure[] = [];
    for (const phase of ['ltp', 'ltd'] as const) {
      const ramps = cycles.filter((c) => c[phase].length > 0);
      if (ramps.length === 0) continue;
      const traces: FigureTrace[] = ramps.slice(0, 20).map((c, i) => ({ name: `cycle ${c.cycle ?? i + 1}`, x: c[phase].map((_, k) => k), y: c[phase], mode: 'markers' }));
      if (ramps.length > 1) {
        const median = medianCurve(ramps.map((c) => c[phase]));
        traces.push({ name: 'cycle median', x: median.map((_, k) => k), y: median, mode: 'lines' });
      }
      const fit = metricOf(metrics, `nl.lsq3:${phase}`);
      if (fit?.status === 'value' && fit.extra) {
        const n = Math.round(median(ramps.map((c) => c[phase].length - 1)));
        const { g_start: g0, delta_g: dg, nu } = fit.extra;
        const xs = Array.from({ length: n + 1 }, (_, k) => k);
        // The LTD fit is in the mirrored frame: read it backwards again for display.
        const model = xs.map((k) => g0 + dg * yNu((phase === 'ltp' ? k : n - k) / n, nu));
        traces.push({ name: `nl.lsq3 fit (label ${fit.value.toFixed(2)})`, x: xs, y: model, mode: 'lines' });
      }
      figs.push({ title: `${phase.toUpperCase()} trains`, xTitle: 'pulse number', yTitle: run.protocolId === 'imported' && (run.params as unknown as ImportedParams).quantity === 'weight' ? 'weight (a.u.)' : 'conductance (S)', traces });
    }
    return figs;
  }
  const data = readAllChannels(db, runId);
  const window = enduranceWindow(run, data);
  if (window) {
    // Min/max-decimated to at most 5000 points for the browser; the stored record keeps every cycle.
    const { x, y } = decimateMinMax(window.cycle, window.w, 5000);
    const decimated = x.length < window.cycle.length;
    return [{ title: `Memory window per cycle${decimated ? ` (min/max of ${window.cycle.length} cycles in ${x.length} points)` : ''}`, xTitle: 'cycle', yTitle: 'W = G_LRS / G_HRS', logY: true, traces: [{ name: 'W', x, y, mode: 'markers' }] }];
  }
  // Other kinds: the first channel against the second, as measured.
  const names = run.channels.map((c) => c.name);
  if (names.length < 2) return [];
  return [{ title: `${names[1]} vs ${names[0]}`, xTitle: `${names[0]} [${run.channels[0].unit}]`, yTitle: `${names[1]} [${run.channels[1].unit}]`, traces: [{ name: 'data', x: Array.from(data[names[0]]), y: Array.from(data[names[1]]), mode: 'markers' }] }];
}

export type ModelTarget = 'aihwkit' | 'neurosim';

/** The aihwkit export as a runnable Python snippet (aihwkit's own classes). */
export function exportDeviceModelPython(db: Db, runId: number): string {
  const out = exportDeviceModel(db, runId, 'aihwkit') as { softBoundsPmax: SoftBoundsPmax | { unavailable: string }; piecewiseStep: PiecewiseStep; source: { runId: number; device: string; protocol: string } };
  return aihwkitPythonSnippet(`run ${runId} (device ${out.source.device}, ${out.source.protocol})`, out.softBoundsPmax, out.piecewiseStep);
}

export function exportDeviceModel(db: Db, runId: number, target: ModelTarget): Record<string, unknown> {
  const { metrics } = readMetrics(db, runId);
  const run = getRun(db, runId);
  const header = { source: { runId, device: run.device, protocol: `${run.protocolId} v${run.protocolVersion}` } };
  if (target === 'neurosim') return { ...header, ...neurosimParameters(metrics) };
  const out: Record<string, unknown> = { format: 'neuroprobe.aihwkit-devices', formatVersion: 1, ...header };
  try {
    out.softBoundsPmax = aihwkitSoftBoundsPmax(metrics);
  } catch (e) {
    out.softBoundsPmax = { unavailable: (e as Error).message };
  }
  out.piecewiseStep = aihwkitPiecewiseStep(metrics, storedLtpLtdCycles(db, runId));
  return out;
}

/** W = G_LRS/G_HRS per cycle of a measured or imported endurance run, or null for other runs. */
function enduranceWindow(run: RunRecord, data: Record<string, Float64Array>): { cycle: number[]; w: number[] } | null {
  if (run.protocolId === 'endurance' && data.cycle && data.state && data.i_read_A) {
    const cycle: number[] = [];
    const w: number[] = [];
    for (let i = 0; i + 1 < data.i_read_A.length; i++) {
      if (data.state[i] === 1 && data.state[i + 1] === 0 && data.cycle[i] === data.cycle[i + 1]) {
        cycle.push(data.cycle[i]);
        w.push(data.i_read_A[i] / data.i_read_A[i + 1]);
      }
    }
    return { cycle, w };
  }
  if (run.protocolId === IMPORTED_PROTOCOL.id && (run.params as unknown as ImportedParams).as === 'endurance' && data.g_hrs && data.g_lrs) {
    return { cycle: Array.from(data.g_hrs, (_, i) => i + 1), w: Array.from(data.g_lrs, (g, i) => g / data.g_hrs[i]) };
  }
  return null;
}
