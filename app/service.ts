// The application service: one typed API over protocols, storage and analysis, used by
// the CLI (and later by the Electron main process and the local web server).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type BenchmarkCard, CARD_SOURCES, cardKey, sourceLabel } from '../analysis/card.ts';
import { comparisonMarkdown, renderCardHtml, renderCardMarkdown, variationMarkdown } from '../analysis/card-render.ts';
import { TABLE3_REFERENCE } from '../analysis/table3.ts';
import { ANALYSIS_VERSION } from '../analysis/version.ts';
import { type ImportOptions, importBytes, importCsv, importWorkbook } from './import/import-run.ts';
import { plotRead } from './plot-read.ts';
import { type AnalysisOptions, type ModelTarget, analyseStoredRun, cardFigures, cardOf, exportDeviceModel, exportDeviceModelPython, optionsVersion, reanalyseAndStore } from './stored-analysis.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { type ExportFormat, type TextExportFormat, exportRunParts, exportRunText } from '../db/export.ts';
import { type OutputOptions, writeOutputFile, writeOutputFileVia } from './output-file.ts';
import { type RunFilter, type RunRecord, type RunSummary, findRuns, getRun, lastCheckpoint, listRuns, readMetrics } from '../db/reader.ts';
import type { XY } from '../analysis/decimate.ts';
import { RunRecorder } from '../db/recorder.ts';
import type { ProtocolDefinition } from '../protocols/protocol.ts';
import { getProtocol, listProtocols } from '../protocols/registry.ts';
import { type RunOutcome, type RunRequest, prepareParams, runProtocol } from '../protocols/runner.ts';
import { type Station, limitsFor, parseStation, usesSimulator } from '../protocols/station.ts';
import type { Metric } from '../analysis/metric.ts';
import { SOFTWARE_VERSION } from './version.ts';
import { QueueStore } from './queue.ts';

export type StartRun = Omit<RunRequest, 'protocol'> & {
  protocolId: string;
  /** Called with the stored run's id as soon as it exists (before any instrument is contacted). */
  onRecord?: (runId: number) => void;
};

export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeError';
  }
}

export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

/** The simulated bench's settings stored with a run (provenance), or null for real instruments. */
export function simulationOf(station: Station): Record<string, unknown> | null {
  if (!usesSimulator(station)) return null;
  const sim = station.simulation;
  return { bench: 'in-process', seed: sim?.seed ?? 1, deviceIndex: sim?.deviceIndex ?? 0, device: sim?.device ?? {}, faults: sim?.faults ?? [], realTimeFactor: sim?.realTimeFactor ?? null };
}

/**
 * Yield and device-to-device variation of cards under a pass criterion, as Markdown: one
 * section per source (simulated, measured, imported) unless pooling is asked for.
 */
export function variationBySource(cards: BenchmarkCard[], passMinimums: Record<string, number>, poolSources = false): string {
  const groups = poolSources ? [['all sources', cards] as const] : CARD_SOURCES.map((src) => [src, cards.filter((c) => c.source === src)] as const).filter(([, g]) => g.length > 0);
  return groups
    .map(([label, group]) => (groups.length > 1 || label !== 'measured' ? `### ${label === 'all sources' ? 'All sources pooled (simulated and measured together, as asked)' : sourceLabel(label)}\n\n` : '') + variationMarkdown([...group], passMinimums))
    .join('\n');
}

export type { RunFilter } from '../db/reader.ts';

export interface RunResult {
  /** Every started attempt is stored (a refused one throws before anything is written). */
  runId: number;
  outcome: RunOutcome;
  card: BenchmarkCard | null;
}

export class NeuroProbeApp {
  readonly db: Db;
  /** Runs waiting to be played (devices × protocols), kept in the database. */
  readonly queue: QueueStore;

  constructor(
    readonly dbPath: string,
    opts: { mustExist?: boolean } = {},
  ) {
    this.db = openDatabase(dbPath, opts);
    this.queue = new QueueStore(this.db);
  }

  protocols(): readonly ProtocolDefinition[] {
    return listProtocols();
  }

  /**
   * Runs a protocol and stores it. Parameters outside the safety limits are refused with
   * nothing stored; from then on every attempt is a stored run, whatever happens (an
   * instrument that does not answer, an abort while connecting, a full disk).
   */
  async runProtocol(req: StartRun): Promise<RunResult> {
    const protocol = getProtocol(req.protocolId);
    const params = prepareParams(protocol, req.params, req.station, req.device);
    const recorder = new RunRecorder(this.db, {
      device: req.device,
      stationName: req.station.name,
      stationJson: JSON.stringify(req.station),
      protocolId: protocol.id,
      protocolVersion: protocol.version,
      params,
      softwareVersion: SOFTWARE_VERSION,
      channels: protocol.channels,
      simulation: simulationOf(req.station),
    });
    return this.execute(req, recorder);
  }

  /**
   * Continues an interrupted, aborted or failed run from its last checkpoint (or from
   * its start when it stopped before the first one), on the station it was recorded with
   * (or another one), in the same run. What was recorded after the checkpoint moves to
   * the superseded tables; a simulated device continues from its checkpointed state. A
   * refused resume (wrong status, another process recording it, parameters outside the
   * station's limits) writes nothing.
   */
  async resumeRun(runId: number, opts: Pick<StartRun, 'onEvent' | 'signal' | 'handleSignals' | 'sim' | 'control' | 'onRecord'> & { station?: Station } = {}): Promise<RunResult> {
    const run = getRun(this.db, runId);
    if (!['interrupted', 'aborted', 'failed'].includes(run.status)) {
      throw new ResumeError(`run ${runId} is ${run.status}; only interrupted, aborted or failed runs can be resumed${run.status === 'running' ? ' (another process is recording it now)' : ''}`);
    }
    if (run.protocolId === 'imported') throw new ResumeError(`run ${runId} holds imported data; there is nothing to resume`);
    const protocol = getProtocol(run.protocolId);
    if (protocol.version !== run.protocolVersion) throw new ResumeError(`run ${runId} was recorded with ${protocol.id} v${run.protocolVersion}; this NeuroProbe has v${protocol.version}`);
    const checkpoint = lastCheckpoint(this.db, runId);
    const station = opts.station ?? parseStation(JSON.parse(run.station.json), `stored with run ${runId}`);
    prepareParams(protocol, run.params, station, run.device);
    const recorder = RunRecorder.resume(this.db, runId, checkpoint);
    return this.execute(
      {
        ...opts,
        protocolId: run.protocolId,
        params: run.params,
        station,
        device: run.device,
        resume: checkpoint?.state ?? {},
        ...(checkpoint?.simState ? { resumeSimState: checkpoint.simState } : {}),
      },
      recorder,
      // The card of a resumed run covers everything stored, not only the resumed part.
      () => analyseStoredRun(this.db, getRun(this.db, runId)).metrics,
    );
  }

  private async execute(req: StartRun, recorder: RunRecorder, finalMetrics?: () => Metric[]): Promise<RunResult> {
    const protocol = getProtocol(req.protocolId);
    req.onRecord?.(recorder.runId);
    let started = false;
    let outcome: RunOutcome;
    try {
      outcome = await runProtocol({
        ...req,
        protocol,
        onEvent: (e) => {
          if (e.type === 'started') {
            started = true;
            recorder.setInstruments(e.instruments);
          } else if (e.type === 'data') recorder.append(e.chunk.channels, e.chunk.events);
          else if (e.type === 'checkpoint') recorder.checkpoint(e.state, e.simState);
          req.onEvent?.(e);
        },
      });
    } catch (e) {
      // Refused after the instruments answered (e.g. a train their capabilities cannot play).
      recorder.finishStatusOnly('failed', `refused before the first pulse: ${(e as Error).message}`);
      throw e;
    }
    const reason = started ? outcome.reason : `did not start: ${outcome.reason}`;
    let metrics: Metric[] = [];
    try {
      recorder.flush(true);
      metrics = started ? (finalMetrics ? finalMetrics() : outcome.metrics) : [];
      recorder.finish(outcome.status, reason, metrics, ANALYSIS_VERSION);
    } catch (e) {
      const why = `${outcome.status === 'completed' ? 'completed, but' : `${reason};`} the data could not all be stored: ${(e as Error).message}`;
      const stored = recorder.finishStatusOnly('failed', why);
      throw new StorageError(`run ${recorder.runId}: ${why}${stored ? ' (the run is marked failed with this reason)' : ' (not even the run status could be written)'}`);
    }
    return { runId: recorder.runId, outcome: { ...outcome, reason, metrics }, card: this.card(recorder.runId) };
  }

  /** Runs, optionally filtered (device name with * wildcards, protocol, status, source, started within [since, until]). */
  runs(filter: RunFilter = {}): RunSummary[] {
    return findRuns(this.db, filter);
  }

  run(runId: number): RunRecord {
    return getRun(this.db, runId);
  }

  /** The card from the metrics stored with the run (the newest analysis). */
  card(runId: number): BenchmarkCard {
    const run = getRun(this.db, runId);
    const { analysisVersion, metrics } = readMetrics(this.db, runId);
    return cardOf(run, metrics, analysisVersion ?? 'none');
  }

  /** The card recomputed from the stored raw samples alone (nothing is written). */
  recomputeCard(runId: number, options: AnalysisOptions = {}): BenchmarkCard {
    const run = getRun(this.db, runId);
    const { metrics } = analyseStoredRun(this.db, run, options);
    return cardOf(run, metrics, optionsVersion(options));
  }

  /** Re-analyses stored raw data with options and stores the metrics beside the old ones. */
  analyze(runId: number, options: AnalysisOptions = {}): BenchmarkCard {
    return reanalyseAndStore(this.db, runId, options);
  }

  cardMarkdown(runId: number): string {
    return renderCardMarkdown(this.card(runId));
  }

  /** Self-contained HTML: plotly is inlined so the file opens anywhere, offline. */
  cardHtml(runId: number): string {
    const plotly = readFileSync(createRequire(import.meta.url).resolve('plotly.js-dist-min'), 'utf8');
    return renderCardHtml(this.card(runId), cardFigures(this.db, runId), plotly);
  }

  /**
   * Table-3-style comparison; with `passMinimums` (card key → minimum value) also the yield
   * under that criterion and the device-to-device variation of the headline metrics.
   */
  /**
   * One card per device (and source) from several runs of it: each metric from the newest
   * run that has it as a value, so LTP/LTD, endurance and energy runs make one Table-3 row.
   */
  deviceCards(runIds: number[]): BenchmarkCard[] {
    const groups = new Map<string, BenchmarkCard[]>();
    for (const id of runIds) {
      const c = this.card(id);
      const key = `${c.device}\u0000${c.source}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    return [...groups.values()].map((cards) => {
      const newestFirst = [...cards].sort((a, b) => b.runIds[0] - a.runIds[0]);
      const byKey = new Map<string, Metric>();
      for (const c of newestFirst) for (const m of c.metrics) {
        const k = `${cardKey(m)}|${m.convention ?? ''}`;
        const have = byKey.get(k);
        if (!have || (have.status === 'missing' && m.status === 'value')) byKey.set(k, m);
      }
      return {
        ...newestFirst[0],
        protocol: { id: [...new Set(cards.map((c) => c.protocol.id))].join('+'), version: [...new Set(cards.map((c) => c.protocol.version))].join('+') },
        runIds: cards.map((c) => c.runIds[0]).sort((a, b) => a - b),
        runStatus: [...new Set(cards.map((c) => c.runStatus))].join('+'),
        metrics: [...byKey.values()],
      };
    });
  }

  compare(runIds: number[], withReference: boolean, passMinimums?: Record<string, number>, poolSources = false, byDevice = false): string {
    const cards = byDevice ? this.deviceCards(runIds) : runIds.map((id) => this.card(id));
    const text = comparisonMarkdown(cards, withReference ? TABLE3_REFERENCE : []);
    return passMinimums ? `${text}\n${variationBySource(cards, passMinimums, poolSources)}` : text;
  }

  exportModel(runId: number, target: ModelTarget): Record<string, unknown> {
    return exportDeviceModel(this.db, runId, target);
  }

  /** The aihwkit device configurations as a runnable Python snippet. */
  exportModelPython(runId: number): string {
    return exportDeviceModelPython(this.db, runId);
  }

  importCsv(path: string, opts: ImportOptions): { runId: number; card: BenchmarkCard; notes: string[] } {
    const { runId, notes } = importCsv(this.db, path, opts);
    return { runId, card: this.card(runId), notes };
  }

  /** A CSV, or a Keithley 4200A workbook (.xlsx) for I-V and forming. */
  async importFile(path: string, opts: ImportOptions): Promise<{ runId: number; card: BenchmarkCard; notes: string[] }> {
    if (!/\.xlsx$/i.test(path)) return this.importCsv(path, opts);
    const { runId, notes } = await importWorkbook(this.db, path, opts);
    return { runId, card: this.card(runId), notes };
  }

  /** Imports uploaded file content (the user interface). */
  importContent(bytes: Buffer, fileName: string, opts: ImportOptions): { runId: number; notes: string[] } {
    const { runId, notes } = importBytes(this.db, bytes, fileName, opts);
    return { runId, notes };
  }

  /** One channel against another (x defaults to the sample index), min/max-decimated for plotting. */
  channelForPlot(runId: number, yChannel: string, xChannel?: string, maxPoints = 4000, xRange?: [number, number]): XY {
    getRun(this.db, runId);
    return plotRead(this.db, runId, yChannel, xChannel, maxPoints, xRange);
  }

  /** A whole text export as one string (small runs; use exportRunParts or exportRunToFile for large ones). */
  exportRun(runId: number, format: TextExportFormat): string {
    return exportRunText(this.db, runId, format);
  }

  /** A text export as a stream of pieces, in constant memory. */
  exportRunParts(runId: number, format: TextExportFormat): Iterable<string> {
    getRun(this.db, runId); // fail before the first piece for an unknown run
    return exportRunParts(this.db, runId, format);
  }

  /** Writes an export to a file safely (never over the database, --force to replace, whole or not at all). */
  async exportRunToFile(runId: number, format: ExportFormat, path: string, opts: OutputOptions = {}): Promise<void> {
    getRun(this.db, runId);
    const protect = [...(opts.protect ?? []), this.dbPath];
    if (format === 'hdf5') {
      // Loaded only when asked: the HDF5 library (WebAssembly) takes a second to start.
      const { exportRunHdf5 } = await import('../db/export-hdf5.ts');
      await writeOutputFileVia(path, (tmp) => exportRunHdf5(this.db, runId, tmp), { ...opts, protect });
    }
    else writeOutputFile(path, exportRunParts(this.db, runId, format), { ...opts, protect });
  }

  close(): void {
    this.db.close();
  }
}
