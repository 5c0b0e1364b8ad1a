// The application service: one typed API over protocols, storage and analysis, used by
// the CLI (and later by the Electron main process and the local web server).

import { type BenchmarkCard, buildCard } from '../analysis/card.ts';
import { ANALYSIS_VERSION } from '../analysis/version.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { type ExportFormat, exportRunCsv, exportRunJson } from '../db/export.ts';
import { type RunRecord, type RunSummary, getRun, listRuns, readAllChannels, readMetrics } from '../db/reader.ts';
import { RunRecorder } from '../db/recorder.ts';
import type { ProtocolDefinition } from '../protocols/protocol.ts';
import { getProtocol, listProtocols } from '../protocols/registry.ts';
import { type RunOutcome, type RunRequest, runProtocol } from '../protocols/runner.ts';
import { SOFTWARE_VERSION } from './version.ts';

export type StartRun = Omit<RunRequest, 'protocol'> & { protocolId: string };

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
    let recorder: RunRecorder | null = null;
    const outcome = await runProtocol({
      protocol,
      params: req.params,
      station: req.station,
      device: req.device,
      signal: req.signal,
      handleSignals: req.handleSignals,
      sim: req.sim,
      onEvent: (e) => {
        if (e.type === 'started') {
          recorder = new RunRecorder(this.db, {
            device: req.device,
            stationName: req.station.name,
            stationJson: JSON.stringify(req.station),
            protocolId: protocol.id,
            protocolVersion: protocol.version,
            params: e.params,
            softwareVersion: SOFTWARE_VERSION,
            channels: protocol.channels,
            instruments: e.instruments,
          });
        } else if (e.type === 'data') {
          recorder?.append(e.chunk.channels, e.chunk.events);
        }
        req.onEvent?.(e);
      },
    });
    const rec = recorder as RunRecorder | null;
    if (!rec) return { runId: null, outcome, card: null };
    rec.finish(outcome.status, outcome.reason, outcome.metrics, ANALYSIS_VERSION);
    return { runId: rec.runId, outcome, card: this.card(rec.runId) };
  }

  runs(): RunSummary[] {
    return listRuns(this.db);
  }

  run(runId: number): RunRecord {
    return getRun(this.db, runId);
  }

  /** The card from the metrics stored with the run. */
  card(runId: number): BenchmarkCard {
    const run = getRun(this.db, runId);
    const { analysisVersion, metrics } = readMetrics(this.db, runId);
    const conditions = metrics[0]?.conditions ?? {};
    return buildCard({
      device: run.device,
      protocol: { id: run.protocolId, version: run.protocolVersion },
      runIds: [run.id],
      runStatus: run.status,
      analysisVersion: analysisVersion ?? 'none',
      conditions,
      metrics,
    });
  }

  /** The card recomputed from the stored raw samples alone (nothing is written). */
  recomputeCard(runId: number): BenchmarkCard {
    const run = getRun(this.db, runId);
    const protocol = getProtocol(run.protocolId);
    const { metrics, conditions } = protocol.analyse({ channels: readAllChannels(this.db, runId) }, run.params);
    return buildCard({
      device: run.device,
      protocol: { id: run.protocolId, version: run.protocolVersion },
      runIds: [run.id],
      runStatus: run.status,
      analysisVersion: ANALYSIS_VERSION,
      conditions,
      metrics,
    });
  }

  exportRun(runId: number, format: ExportFormat): string {
    return format === 'csv' ? exportRunCsv(this.db, runId) : exportRunJson(this.db, runId);
  }

  close(): void {
    this.db.close();
  }
}
