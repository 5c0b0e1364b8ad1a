// The server side of the API contract: executes validated commands on the application
// service and pushes the live run's events to every subscriber, batched to at most ten
// data messages a second. One bench, so one live run at a time. Used by `neuroprobe
// serve` (HTTP + WebSocket) and by the Electron main process (IPC).

import { cardKey } from '../../analysis/card.ts';
import { table3Row } from '../../analysis/table3.ts';
import { TABLE3_REFERENCE } from '../../analysis/table3.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { assembleBench, instrumentsFor } from '../../protocols/bench.ts';
import { instrumentDriver } from '../../protocols/open-instrument.ts';
import type { Transport } from '../../drivers/transport/transport.ts';
import type { BenchInstruments, BenchRole } from '../../protocols/protocol.ts';
import { ParamError, validateParams } from '../../protocols/params.ts';
import { getProtocol, listProtocols } from '../../protocols/registry.ts';
import { RunControl } from '../../protocols/run-control.ts';
import { SafetyError, prepareParams } from '../../protocols/runner.ts';
import { type Station, StationError, limitsFor, parseStation, simBenchConfig, usesSimulator } from '../../protocols/station.ts';
import { type NeuroProbeApp, variationBySource } from '../service.ts';
import { playQueue } from '../queue-player.ts';
import { previewImport } from '../import/import-run.ts';
import { parseMinimums } from '../criteria.ts';
import { identifyStation } from '../../protocols/identify.ts';
import { positionFromName } from '../../analysis/die-map.ts';
import { minimumsCriterion } from '../../analysis/variation.ts';
import { type ApiEvent, type CheckResult, type CommandName, type CompareResult, ContractError, type DieMapEntry, type ParsedParams, type ProtocolView, type StationView, parseCommand } from './contract.ts';

const DATA_INTERVAL_MS = 100;

interface LiveRun {
  runId: number;
  protocol: string;
  device: string;
  control: RunControl;
  abort: AbortController;
  startedMs: number;
  paused: boolean;
  done: Promise<unknown>;
}

/** A transport that refuses all I/O: drivers built on it can only validate settings. */
const OFFLINE: Transport = {
  resource: 'offline',
  write: () => Promise.reject(new Error('offline driver: no instrument is connected')),
  read: () => Promise.reject(new Error('offline driver: no instrument is connected')),
  query: () => Promise.reject(new Error('offline driver: no instrument is connected')),
  close: () => Promise.resolve(),
};

/** The bench a protocol would get, with drivers that can validate settings but reach no instrument. */
function offlineBench(station: Station, roles: BenchRole[], protocolId: string): BenchInstruments {
  const drivers = new Map(instrumentsFor(station, roles, protocolId).map((def) => [def.id, instrumentDriver(def, station, OFFLINE)]));
  return assembleBench(station, roles, drivers);
}

export class BusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusyError';
  }
}

export class ApiService {
  private live: LiveRun | null = null;
  private queuePlaying = false;
  private queueStopRequested = false;
  private lastSim: SimBench | null = null;
  private readonly listeners = new Set<(e: ApiEvent) => void>();

  constructor(
    readonly app: NeuroProbeApp,
    private currentStation: Station,
  ) {}

  get station(): Station {
    return this.currentStation;
  }

  private parseStationJson(json: string): Station {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw new StationError(`the station is not valid JSON: ${(e as Error).message}`);
    }
    return parseStation(raw, 'from the user interface');
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a broken subscriber never stops a run
      }
    }
  }

  /** Validates and executes one command; errors are thrown with a message for the user. */
  async handle(name: string, rawParams: unknown): Promise<unknown> {
    const cmd = parseCommand(name, rawParams);
    const q = <C extends CommandName>(_: C) => cmd.params as ParsedParams<C>;
    switch (cmd.name) {
      case 'protocols':
        return this.protocols();
      case 'station':
        return this.stationView();
      case 'stationValidate':
        try {
          const s = this.parseStationJson(q('stationValidate').json);
          return { ok: true, problems: [], station: this.viewOf(s) };
        } catch (e) {
          if (e instanceof StationError) return { ok: false, problems: e.message.split('\n').map((l) => l.trim()).filter((l, i) => i > 0 || !/is invalid:$/.test(l)), station: null };
          throw e;
        }
      case 'stationIdentify':
        if (this.live) throw new BusyError(`run ${this.live.runId} is playing: its instruments are busy`);
        return identifyStation(this.station);
      case 'stationUse': {
        if (this.live || this.queuePlaying) throw new BusyError('a run or the queue is playing on this bench; change the station when it has ended');
        this.currentStation = this.parseStationJson(q('stationUse').json);
        this.lastSim = null;
        return this.stationView();
      }
      case 'check':
        return this.check(q('check'));
      case 'start':
        return this.start(q('start'));
      case 'pause':
        return this.control(q('pause'), 'pause');
      case 'resume':
        return this.control(q('resume'), 'resume');
      case 'abort':
        return this.control(q('abort'), 'abort');
      case 'live':
        return this.live ? { runId: this.live.runId, protocol: this.live.protocol, device: this.live.device, paused: this.live.paused } : null;
      case 'runs':
        return this.app.runs(q('runs').filter);
      case 'run':
        return this.app.run(q('run').runId);
      case 'card':
        return this.app.card(q('card').runId);
      case 'channel': {
        const c = q('channel');
        const xy = this.app.channelForPlot(c.runId, c.y, c.x, c.maxPoints, c.xRange);
        return { x: Array.from(xy.x), y: Array.from(xy.y) };
      }
      case 'compare': {
        const c = q('compare');
        const cards = c.byDevice ? this.app.deviceCards(c.runIds) : c.runIds.map((id) => this.app.card(id));
        const variation = c.pass?.trim() ? variationBySource(cards, parseMinimums(c.pass), c.poolSources) : null;
        // The die map: each device with a position in its name, pass or fail under the criterion.
        let dieMap: DieMapEntry[] | null = null;
        if (c.pass?.trim()) {
          const criterion = minimumsCriterion(parseMinimums(c.pass), cardKey);
          dieMap = cards.flatMap((card) => {
            const pos = positionFromName(card.device);
            return pos ? [{ device: card.device, ...pos, pass: criterion.test(card.metrics), source: card.source }] : [];
          });
        }
        const result: CompareResult = { rows: cards.map(table3Row), reference: c.withReference ? TABLE3_REFERENCE : [], sources: cards.map((x) => x.source), variation, dieMap };
        return result;
      }
      case 'importPreview': {
        const c = q('importPreview');
        return previewImport(Buffer.from(c.contentBase64, 'base64'), c.fileName, { ...c });
      }
      case 'import': {
        const c = q('import');
        const { contentBase64, fileName, ...opts } = c;
        return this.app.importContent(Buffer.from(contentBase64, 'base64'), fileName, opts);
      }
      case 'analyze': {
        const c = q('analyze');
        return this.app.analyze(c.runId, c.options);
      }
      case 'queue':
        // With each item's die position (from its device name), for the die map.
        return { items: this.app.queue.list().map((i) => ({ ...i, position: positionFromName(i.device) })), playing: this.queuePlaying };
      case 'queueAdd': {
        const items = this.app.queue.add(q('queueAdd'));
        this.emit({ type: 'queue.changed', playing: this.queuePlaying });
        return items;
      }
      case 'queueClear': {
        const n = this.app.queue.clear(q('queueClear').all);
        this.emit({ type: 'queue.changed', playing: this.queuePlaying });
        return { removed: n };
      }
      case 'queueRemove':
        this.app.queue.remove(q('queueRemove').id);
        this.emit({ type: 'queue.changed', playing: this.queuePlaying });
        return { ok: true };
      case 'queueMove': {
        const c = q('queueMove');
        this.app.queue.move(c.id, c.beforeId);
        this.emit({ type: 'queue.changed', playing: this.queuePlaying });
        return this.app.queue.list();
      }
      case 'queuePlay':
        return this.playQueue();
      case 'queueStop':
        this.queueStopRequested = true;
        return { ok: true };
      case 'simState': {
        const s = this.lastSim;
        if (!usesSimulator(this.station)) return null;
        return s ? { outputOn: s.sourceMeter.isOutputOn, levelV: s.sourceMeter.sourceLevelV, triggerRunning: s.sourceMeter.isTriggerRunning } : { outputOn: false, levelV: 0, triggerRunning: false };
      }
    }
  }

  protocols(): ProtocolView[] {
    return listProtocols().map((p) => ({
      id: p.id,
      version: p.version,
      title: p.title,
      summary: p.summary,
      channels: p.channels,
      params: Object.entries(p.params).map(([name, s]) => ({
        name,
        kind: s.kind,
        unit: s.unit,
        default: s.default,
        help: s.help,
        ...(s.kind === 'enum' ? { choices: [...s.choices] } : s.kind === 'path' ? {} : { min: s.min, max: s.max }),
      })),
    }));
  }

  stationView(): StationView {
    return this.viewOf(this.station);
  }

  private viewOf(s: Station): StationView {
    return { name: s.name, json: JSON.stringify(s, null, 2), simulated: usesSimulator(s), instruments: s.instruments.map((i) => ({ id: i.id, model: i.model, role: i.role, resource: i.resource })), limits: s.limits, ...(s.wiring.rotationStage ? { stageTravelDeg: [s.wiring.rotationStage.minDeg, s.wiring.rotationStage.maxDeg] as [number, number] } : {}) };
  }

  check(p: { protocolId: string; params: Record<string, number | string>; device: string }): CheckResult {
    let protocol;
    try {
      protocol = getProtocol(p.protocolId);
    } catch (e) {
      return { ok: false, problems: [(e as Error).message], durationS: null };
    }
    try {
      prepareParams(protocol, p.params, this.station, p.device);
      const values = validateParams(protocol.params, p.params, protocol.id);
      // What the station's instruments can play (segment lengths, trigger blocks …), from
      // their drivers' declared capabilities, without connecting to them.
      protocol.checkFeasible(values, offlineBench(this.station, protocol.roles(values), protocol.id));
      return { ok: true, problems: [], durationS: protocol.estimateDurationS ? protocol.estimateDurationS(values, 50) : null };
    } catch (e) {
      if (e instanceof SafetyError) return { ok: false, problems: e.violations, durationS: null };
      if (e instanceof ParamError) return { ok: false, problems: e.message.replace(/^[\w-]+: /, '').split('; '), durationS: null };
      throw e;
    }
  }

  private async start(p: { protocolId: string; params: Record<string, number | string>; device: string }): Promise<{ runId: number }> {
    if (this.live) throw new BusyError(`run ${this.live.runId} is still playing on this bench; abort it or wait for it to end`);
    const verdict = this.check(p);
    if (!verdict.ok) throw new ParamError(verdict.problems.join('; '));
    const control = new RunControl();
    const abort = new AbortController();
    const sim = usesSimulator(this.station) ? new SimBench(simBenchConfig(this.station)) : undefined;
    this.lastSim = sim ?? null;
    let pending: Record<string, number[]> = {};
    // When the oldest reads of the pending batch reached the host (the latency figures count from there).
    let pendingSinceMs = 0;
    let timer: NodeJS.Timeout | null = null;
    let runId = 0;
    const flush = () => {
      timer = null;
      if (Object.keys(pending).length === 0) return;
      this.emit({ type: 'run.data', runId, channels: pending, sentMs: pendingSinceMs });
      pending = {};
      pendingSinceMs = 0;
    };
    let resolveId!: (id: number) => void;
    const idKnown = new Promise<number>((r) => (resolveId = r));
    const startedMs = Date.now();
    const done = this.app
      .runProtocol({
        protocolId: p.protocolId,
        params: p.params,
        station: this.station,
        device: p.device,
        sim,
        control,
        signal: abort.signal,
        onRecord: (id) => {
          runId = id;
          resolveId(id);
        },
        onEvent: (e) => {
          // Data already measured reaches clients before any state change that follows it.
          if (e.type !== 'data' && e.type !== 'progress' && timer) {
            clearTimeout(timer);
            flush();
          }
          if (e.type === 'started') this.emit({ type: 'run.started', runId, protocol: e.protocol, device: p.device, simulated: e.instruments.some((i) => i.simulated), params: e.params });
          else if (e.type === 'progress') {
            const elapsed = (Date.now() - startedMs) / 1000;
            const etaS = e.done > 0 && e.total > e.done ? (elapsed / e.done) * (e.total - e.done) : e.done >= e.total ? 0 : null;
            this.emit({ type: 'run.progress', runId, done: e.done, total: e.total, message: e.message, etaS });
          } else if (e.type === 'data') {
            pendingSinceMs ||= Date.now();
            for (const [k, v] of Object.entries(e.chunk.channels)) for (const x of v) (pending[k] ??= []).push(x);
            timer ??= setTimeout(flush, DATA_INTERVAL_MS);
          } else if (e.type === 'live') {
            this.emit({ type: 'run.live', runId, points: e.points });
          } else if (e.type === 'paused') {
            if (this.live) this.live.paused = true;
            this.emit({ type: 'run.paused', runId });
          } else if (e.type === 'resumed') {
            if (this.live) this.live.paused = false;
            this.emit({ type: 'run.resumed', runId });
          }
        },
      })
      .then(
        (r) => {
          if (timer) clearTimeout(timer);
          flush();
          this.emit({
            type: 'run.metrics',
            runId: r.runId,
            metrics: r.outcome.metrics.map((m) => ({ key: cardKey(m) + (m.convention && m.convention !== 'signed' && m.convention !== 'magnitude' ? ` [${m.convention}]` : ''), value: m.status === 'value' ? m.value : null, unit: m.unit, ...(m.status === 'missing' ? { reason: m.reason } : {}) })),
          });
          this.emit({ type: 'run.ended', runId: r.runId, status: r.outcome.status, reason: r.outcome.reason });
        },
        (e: unknown) => {
          if (timer) clearTimeout(timer);
          this.emit({ type: 'run.ended', runId, status: 'failed', reason: (e as Error).message });
        },
      )
      .finally(() => {
        if (this.live?.abort === abort) this.live = null;
      });
    this.live = { runId: 0, protocol: p.protocolId, device: p.device, control, abort, startedMs, paused: false, done };
    const id = await Promise.race([idKnown, done.then(() => runId)]);
    if (this.live && this.live.abort === abort) this.live.runId = id;
    return { runId: id };
  }

  private control(p: { runId: number }, what: 'pause' | 'resume' | 'abort'): { ok: true } {
    const live = this.live;
    if (!live || live.runId !== p.runId) throw new ContractError(`run ${p.runId} is not playing on this bench`);
    if (what === 'pause') live.control.pause();
    else if (what === 'resume') live.control.resume();
    else {
      live.abort.abort('aborted from the user interface');
      this.emit({ type: 'safety', message: `run ${p.runId}: abort requested — sources go to 0 V and off` });
    }
    return { ok: true };
  }

  private playQueue(): { started: boolean } {
    if (this.queuePlaying) return { started: false };
    if (this.live) throw new BusyError(`run ${this.live.runId} is still playing on this bench; the queue starts when it ends`);
    this.queuePlaying = true;
    this.queueStopRequested = false;
    this.emit({ type: 'queue.changed', playing: true });
    void playQueue(this.app, this.app.queue, {
      station: this.station,
      stopAfterCurrent: () => this.queueStopRequested,
      onItem: () => this.emit({ type: 'queue.changed', playing: true }),
      start: async (item, onRecord) => {
        const { runId } = await this.start({ protocolId: item.protocolId, params: item.params, device: item.device });
        onRecord(runId);
        await this.live?.done;
        const run = this.app.run(runId);
        return { status: run.status, reason: run.endReason ?? '' };
      },
    }).finally(() => {
      this.queuePlaying = false;
      this.emit({ type: 'queue.changed', playing: false });
    });
    return { started: true };
  }

  /** Aborts a live run (server shutdown) and waits for its safe state. */
  async shutdown(): Promise<void> {
    const live = this.live;
    if (!live) return;
    live.abort.abort('server stopped');
    await live.done.catch(() => undefined);
  }
}
