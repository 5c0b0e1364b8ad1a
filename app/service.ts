// The application service: one typed API over protocols, storage and analysis, used by
// the CLI (and later by the Electron main process and the local web server).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BenchmarkCard } from '../analysis/card.ts';
import { comparisonMarkdown, renderCardHtml, renderCardMarkdown, variationMarkdown } from '../analysis/card-render.ts';
import { TABLE3_REFERENCE } from '../analysis/table3.ts';
import { ANALYSIS_VERSION } from '../analysis/version.ts';
import { type ImportOptions, importCsv } from './import/import-run.ts';
import { type AnalysisOptions, type ModelTarget, analyseRun, cardFigures, cardOf, exportDeviceModel, optionsVersion, reanalyseAndStore } from './stored-analysis.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { type ExportFormat, exportRunCsv, exportRunJson } from '../db/export.ts';
import { type RunRecord, type RunSummary, getRun, lastCheckpoint, listRuns, readAllChannels, readChannel, readMetrics } from '../db/reader.ts';
import { type XY, decimateMinMax } from '../analysis/decimate.ts';
import { RunRecorder } from '../db/recorder.ts';
import type { ProtocolDefinition } from '../protocols/protocol.ts';
import { getProtocol, listProtocols } from '../protocols/registry.ts';
import { type RunEvent, type RunOutcome, type RunRequest, runProtocol } from '../protocols/runner.ts';
import { type Station, parseStation } from '../protocols/station.ts';
import type { Metric } from '../analysis/metric.ts';
import { SOFTWARE_VERSION } from './version.ts';

export type StartRun = Omit<RunRequest, 'protocol'> & { protocolId: string };

export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeError';
  }
}

export interface RunResult {
  /** Null when the run failed before it started (nothing was stored). */
  runId: number | null;
  outcome: RunOutcome;
  card: BenchmarkCard | null;
}

export class NeuroProbeApp {
  readonly db: Db;

  constructor(
    readonly dbPath: string,
    opts: { mustExist?: boolean } = {},
  ) {
    this.db = openDatabase(dbPath, opts);
  }

  protocols(): readonly ProtocolDefinition[] {
    return listProtocols();
  }

  async runProtocol(req: StartRun): Promise<RunResult> {
    const protocol = getProtocol(req.protocolId);
    return this.execute(req, (started) =>
      new RunRecorder(this.db, {
        device: req.device,
        stationName: req.station.name,
        stationJson: JSON.stringify(req.station),
        protocolId: protocol.id,
        protocolVersion: protocol.version,
        params: started.params,
        softwareVersion: SOFTWARE_VERSION,
        channels: protocol.channels,
        instruments: started.instruments,
      }),
    );
  }

  /**
   * Continues an interrupted, aborted or failed run from its last checkpoint, on the
   * station it was recorded with (or another one), appending to the same run.
   */
  async resumeRun(runId: number, opts: Pick<StartRun, 'onEvent' | 'signal' | 'handleSignals' | 'sim'> & { station?: Station } = {}): Promise<RunResult> {
    const run = getRun(this.db, runId);
    if (!['interrupted', 'aborted', 'failed'].includes(run.status)) throw new ResumeError(`run ${runId} is ${run.status}; only interrupted, aborted or failed runs can be resumed`);
    if (run.protocolId === 'imported') throw new ResumeError(`run ${runId} holds imported data; there is nothing to resume`);
    const protocol = getProtocol(run.protocolId);
    if (protocol.version !== run.protocolVersion) throw new ResumeError(`run ${runId} was recorded with ${protocol.id} v${run.protocolVersion}; this NeuroProbe has v${protocol.version}`);
    const checkpoint = lastCheckpoint(this.db, runId);
    if (!checkpoint) throw new ResumeError(`run ${runId} has no checkpoint (it stopped before its first cycle completed); start a new run instead`);
    const station = opts.station ?? parseStation(JSON.parse(run.station.json), `stored with run ${runId}`);
    this.db.prepare('INSERT INTO events (run_id, t_s, kind, data_json) VALUES (?, ?, ?, ?)').run(runId, checkpoint.state.offsetS ?? 0, 'resume', JSON.stringify({ at: new Date().toISOString(), ...checkpoint.state }));
    const result = await this.execute(
      { ...opts, protocolId: run.protocolId, params: run.params, station, device: run.device, resume: checkpoint.state },
      () => RunRecorder.reopen(this.db, runId),
      // The card of a resumed run covers everything stored, not only the resumed part.
      () => analyseRun(getRun(this.db, runId), { channels: readAllChannels(this.db, runId) }).metrics,
    );
    return result;
  }

  private async execute(
    req: StartRun,
    openRecorder: (started: Extract<RunEvent, { type: 'started' }>) => RunRecorder,
    finalMetrics?: () => Metric[],
  ): Promise<RunResult> {
    const protocol = getProtocol(req.protocolId);
    let recorder: RunRecorder | null = null;
    const outcome = await runProtocol({
      ...req,
      protocol,
      onEvent: (e) => {
        if (e.type === 'started') recorder = openRecorder(e);
        else if (e.type === 'data') recorder?.append(e.chunk.channels, e.chunk.events);
        else if (e.type === 'checkpoint') recorder?.checkpoint(e.state);
        req.onEvent?.(e);
      },
    });
    const rec = recorder as RunRecorder | null;
    if (!rec) return { runId: null, outcome, card: null };
    rec.flush(true);
    const metrics = finalMetrics ? finalMetrics() : outcome.metrics;
    rec.finish(outcome.status, outcome.reason, metrics, ANALYSIS_VERSION);
    return { runId: rec.runId, outcome: { ...outcome, metrics }, card: this.card(rec.runId) };
  }

  runs(): RunSummary[] {
    return listRuns(this.db);
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
    const { metrics } = analyseRun(run, { channels: readAllChannels(this.db, runId) }, options);
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
  compare(runIds: number[], withReference: boolean, passMinimums?: Record<string, number>): string {
    const cards = runIds.map((id) => this.card(id));
    let text = comparisonMarkdown(cards, withReference ? TABLE3_REFERENCE : []);
    if (passMinimums) text += '\n' + variationMarkdown(cards, passMinimums);
    return text;
  }

  exportModel(runId: number, target: ModelTarget): Record<string, unknown> {
    return exportDeviceModel(this.db, runId, target);
  }

  importCsv(path: string, opts: ImportOptions): { runId: number; card: BenchmarkCard } {
    const { runId } = importCsv(this.db, path, opts);
    return { runId, card: this.card(runId) };
  }

  /** One channel against another (x defaults to the sample index), min/max-decimated for plotting. */
  channelForPlot(runId: number, yChannel: string, xChannel?: string, maxPoints = 4000): XY {
    const y = readChannel(this.db, runId, yChannel);
    const x = xChannel ? readChannel(this.db, runId, xChannel) : Float64Array.from(y, (_, i) => i);
    return decimateMinMax(x, y, maxPoints);
  }

  exportRun(runId: number, format: ExportFormat): string {
    return format === 'csv' ? exportRunCsv(this.db, runId) : exportRunJson(this.db, runId);
  }

  close(): void {
    this.db.close();
  }
}
