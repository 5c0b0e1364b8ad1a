// Executes a protocol on a station. Order of business: validate parameters, check the
// device's safety limits (before any instrument is opened), connect and identify the
// instruments, run, and on every way out (completion, abort, error, SIGINT, SIGTERM,
// SIGHUP from a closed terminal, SIGQUIT, an uncaught error, a closed output pipe)
// drive every source to 0 V and output off before anything else. Only an instrument
// that identified as the expected model receives any command beyond identification.
// Emits a typed event stream; storage and display subscribe to it.

import { instrumentDriver, openInstrumentTransport } from './open-instrument.ts';
import { GC_WINDOW_S, collectGarbageIfDue } from './heap-policy.ts';
import { assembleBench, instrumentsFor } from './bench.ts';
import { AbortedError } from '../drivers/instruments/errors.ts';
import type { Instrument } from '../drivers/instruments/roles.ts';
import { SimBench, isSimulatorIdn } from '../drivers/sim/bench.ts';
import type { Transport } from '../drivers/transport/transport.ts';
import type { Metric } from '../analysis/metric.ts';
import type { Conditions } from '../analysis/metric.ts';
import { ParamError, type ParamValues, validateParams } from './params.ts';
import type { CheckpointState, DataChunk, LivePoint, ProtocolDefinition } from './protocol.ts';
import type { RunControl } from './run-control.ts';
import { type Station, type StationInstrument, benchSafety, limitsFor, runConditions, simBenchConfig, usesSimulator, withStationConditions } from './station.ts';

export type RunStatus = 'completed' | 'aborted' | 'failed';

export interface InstrumentSnapshot {
  id: string;
  role: string;
  model: string;
  resource: string;
  idn: string;
  /** A NeuroProbe simulated instrument (in-process, or over TCP as its *IDN? serial shows). */
  simulated: boolean;
  /** What the instrument reported at run start (mains frequency, firmware, …). */
  settings?: Record<string, number | string>;
}

export type RunEvent =
  | { type: 'started'; protocol: string; version: string; params: Record<string, number | string>; instruments: InstrumentSnapshot[] }
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'live'; points: LivePoint[] }
  | { type: 'checkpoint'; state: CheckpointState; simState?: unknown }
  | { type: 'paused'; state: CheckpointState }
  | { type: 'resumed' }
  | { type: 'data'; chunk: DataChunk }
  | { type: 'metrics'; metrics: Metric[]; conditions: Conditions }
  | { type: 'ended'; status: RunStatus; reason: string };

export class SafetyError extends Error {
  constructor(readonly violations: string[]) {
    super(`rejected by the safety limits before any instrument command:\n  ${violations.join('\n  ')}`);
    this.name = 'SafetyError';
  }
}

export interface RunRequest {
  protocol: ProtocolDefinition;
  /** Raw parameter values (validated here). */
  params: Record<string, unknown>;
  station: Station;
  device: string;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /** Abort on SIGINT/SIGTERM (CLI runs); the sources still go safe first. */
  handleSignals?: boolean;
  /** Use this simulated bench for SIM:: resources (tests); otherwise one is built from the station. */
  sim?: SimBench;
  /** Continue an interrupted run from the state of its last checkpoint. */
  resume?: CheckpointState;
  /** The simulated bench's state at that checkpoint (in-process simulated stations). */
  resumeSimState?: unknown;
  /** Pause/continue from outside; pauses take effect at the next checkpoint. */
  control?: RunControl;
}

export interface RunOutcome {
  status: RunStatus;
  reason: string;
  params: Record<string, number | string>;
  metrics: Metric[];
  conditions: Conditions;
  instruments: InstrumentSnapshot[];
}

const SAFE_OFF_TIMEOUT_MS = 3000;
/** Process signals that end a CLI run: each aborts it, and the sources go safe first. */
export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Abort functions of the runs playing in this process (for a closed output pipe and the like). */
const activeRuns = new Set<(reason: string) => void>();

/** Aborts every run playing in this process (sources go safe first); returns how many there were. */
export function abortActiveRuns(reason: string): number {
  const n = activeRuns.size;
  for (const abort of [...activeRuns]) abort(reason);
  return n;
}

/** Rejects with AbortedError as soon as `signal` aborts, so a slow connection or reply never delays an abort. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError('run'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('run'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Validation and safety for one device of a station, with no instrument contact. Throws ParamError or SafetyError. */
export function prepareParams(protocol: ProtocolDefinition, raw: Record<string, unknown>, station: Station, device: string): ParamValues<ProtocolDefinition['params']> {
  const limits = limitsFor(station, device);
  const p = validateParams(protocol.params, raw, protocol.id);
  const violations = protocol.safetyViolations(p, limits, benchSafety(station));
  // The light reaching the device is the station's calibrated power: checked against the device's limit for every optical protocol.
  const light = station.wiring.lightSource;
  if (light && protocol.roles(p).includes('light-source')) {
    const max = limits.maxOpticalPowerMw;
    if (max === undefined) violations.push('the station sets no limits.maxOpticalPowerMw, so no light may reach the device');
    else if (light.powerAtSampleMw > max) violations.push(`the light source gives ${light.powerAtSampleMw} mW at the sample, above the device limit ${max} mW`);
  }
  if (violations.length) throw new SafetyError(violations);
  return p;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} took longer than ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runProtocol(req: RunRequest): Promise<RunOutcome> {
  const { protocol, station } = req;
  const emit = (e: RunEvent) => req.onEvent?.(e);
  const limits = limitsFor(station, req.device);
  const params = prepareParams(protocol, req.params, station, req.device);

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onOuterAbort);
  let signalName: string | null = null;
  let internalError: Error | null = null;
  const onSignal = (name: NodeJS.Signals) => {
    signalName ??= name;
    controller.abort(name);
  };
  const onUncaught = (e: unknown) => {
    internalError ??= e instanceof Error ? e : new Error(String(e));
    controller.abort('internal error');
  };
  const abortFromOutside = (why: string) => {
    signalName ??= why;
    controller.abort(why);
  };
  activeRuns.add(abortFromOutside);
  if (req.handleSignals) {
    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  }

  const sim = req.sim ?? (usesSimulator(station) ? new SimBench(simBenchConfig(station)) : undefined);
  if (sim && req.resumeSimState) sim.restore(req.resumeSimState);
  const transports: Transport[] = [];
  /** Instruments that identified as the expected model: only these get source commands, safe-off included. */
  const opened: Instrument[] = [];
  const snapshots: InstrumentSnapshot[] = [];
  let status: RunStatus = 'completed';
  let reason = req.resume ? `every step done (resumed from checkpoint ${JSON.stringify(req.resume)})` : 'every step done';
  // Protocols that analyse as they go get every chunk; others' chunks are kept for the end.
  const incremental = protocol.incremental?.(params);
  const chunks: DataChunk[] = [];
  let started = false;
  const emitLive = (points: LivePoint[]) => {
    const finite = points.filter((x) => Number.isFinite(x.value) && Number.isFinite(x.at));
    if (finite.length) emit({ type: 'live', points: finite });
  };
  // Live metrics given as functions wait for the next train to be playing (or the run's end).
  const deferredLive: (() => LivePoint[])[] = [];
  const drainLive = () => {
    for (const f of deferredLive.splice(0)) emitLive(f());
  };
  // While a train plays the host only waits: deferred live metrics, then (now and then) a
  // full garbage collection, when the train still has longer to play than a collection takes.
  const whilePlaying = (remainingS: number) => {
    drainLive();
    if (remainingS >= GC_WINDOW_S) collectGarbageIfDue();
  };

  try {
    const roles = protocol.roles(params);
    const defs = instrumentsFor(station, roles, protocol.id);

    const signal = controller.signal;
    const connect = async (def: StationInstrument): Promise<Instrument> => {
      const pending = openInstrumentTransport(def, sim);
      // A connection that completes after an abort is closed, never used.
      pending.then((t) => (signal.aborted && !transports.includes(t) ? t.close().catch(() => undefined) : undefined), () => undefined);
      const transport = await abortable(pending, signal);
      transports.push(transport);
      const inst = instrumentDriver(def, station, transport);
      // Identification only: an instrument that is not the declared model gets nothing more.
      const idn = await abortable(inst.identify(), signal);
      opened.push(inst);
      snapshots.push({ id: def.id, role: def.role, model: def.model, resource: def.resource, idn, simulated: def.resource.startsWith('SIM::') || isSimulatorIdn(idn) });
      return inst;
    };
    const drivers = new Map<string, Instrument>();
    for (const def of defs) drivers.set(def.id, await connect(def));
    const bench = assembleBench(station, roles, drivers);
    protocol.checkFeasible(params, bench);
    for (const inst of opened) await abortable(inst.reset(), signal);
    // The settings snapshot: read back, never assumed; a failure to read is recorded, not fatal.
    for (const [k, inst] of opened.entries()) {
      if (!inst.settings) continue;
      try {
        snapshots[k].settings = await abortable(inst.settings(), signal);
      } catch (e) {
        if (signal.aborted) throw e;
        snapshots[k].settings = { error: `could not read the settings: ${(e as Error).message}` };
      }
    }

    emit({ type: 'started', protocol: protocol.id, version: protocol.version, params, instruments: snapshots });
    started = true;
    const note = await protocol.run(params, {
      bench,
      limits,
      signal: controller.signal,
      data: (chunk) => {
        if (incremental) incremental.push(chunk);
        else chunks.push(chunk);
        emit({ type: 'data', chunk });
      },
      progress: (done, total, message) => {
        emit({ type: 'progress', done, total, message });
        if (controller.signal.aborted) throw new AbortedError('run');
      },
      live: (points) => {
        if (typeof points === 'function') deferredLive.push(points);
        else emitLive(points);
      },
      whilePlaying,
      checkpoint: async (state) => {
        emit({ type: 'checkpoint', state, ...(sim ? { simState: sim.snapshot() } : {}) });
        if (req.control?.isPaused && !controller.signal.aborted) {
          emit({ type: 'paused', state });
          await req.control.waitWhilePaused(controller.signal);
          if (controller.signal.aborted) throw new AbortedError('run');
          emit({ type: 'resumed' });
        }
      },
      ...(req.resume ? { resumeFrom: req.resume } : {}),
    });
    drainLive();
    if (controller.signal.aborted) throw new AbortedError('run');
    if (typeof note === 'string') reason = note;
  } catch (e) {
    // Live points of work that finished before the abort or error are still shown.
    try {
      drainLive();
    } catch {
      // a failing live metric must not hide why the run stopped
    }
    if (internalError) {
      status = 'failed';
      reason = `internal error: ${(internalError as Error).message}`;
    } else if (e instanceof AbortedError || controller.signal.aborted) {
      status = 'aborted';
      reason = signalName ? `aborted by ${signalName}` : `aborted by the user${typeof req.signal?.reason === 'string' ? ` (${req.signal.reason})` : ''}`;
    } else if (!started && (e instanceof ParamError || e instanceof SafetyError)) {
      throw e;
    } else {
      status = 'failed';
      reason = (e as Error).message;
    }
  } finally {
    // Safe state first, whatever happened; each instrument separately so one failure cannot skip another.
    for (const inst of opened) {
      try {
        await withTimeout(inst.safeOff(), SAFE_OFF_TIMEOUT_MS, `${inst.label} safe-off`);
      } catch (e) {
        reason += `; WARNING: could not confirm ${inst.label} is off: ${(e as Error).message}`;
      }
    }
    for (const t of transports) await t.close().catch(() => undefined);
    req.signal?.removeEventListener('abort', onOuterAbort);
    activeRuns.delete(abortFromOutside);
    if (req.handleSignals) {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
  }

  if (!started) {
    emit({ type: 'ended', status, reason });
    return { status, reason, params, metrics: [], conditions: {}, instruments: snapshots };
  }
  const analysed = incremental ? incremental.result() : protocol.analyse(concatChunks(chunks), params);
  const stationConditions = runConditions(station, protocol.roles(params));
  const analysis = { metrics: withStationConditions(analysed.metrics, { conditions: stationConditions }), conditions: { ...analysed.conditions, ...stationConditions } };
  emit({ type: 'metrics', metrics: analysis.metrics, conditions: analysis.conditions });
  emit({ type: 'ended', status, reason });
  return { status, reason, params, metrics: analysis.metrics, conditions: analysis.conditions, instruments: snapshots };
}

export function concatChunks(chunks: DataChunk[]): { channels: Record<string, number[]> } {
  const channels: Record<string, number[]> = {};
  for (const c of chunks) {
    for (const [k, v] of Object.entries(c.channels)) {
      const dst = (channels[k] ??= []);
      for (const x of v) dst.push(x);
    }
  }
  return { channels };
}
