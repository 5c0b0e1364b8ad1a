// Run view: the live run's plot (reads as they are measured), progress with ETA, Pause /
// Resume / Abort, the event log and, at the end, the metrics.

import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiEvent, call, onEvent, replayFor } from '../api.ts';
import { Plot } from '../plot.tsx';

export interface LiveState {
  runId: number;
  protocol: string;
  device: string;
  /** The run's parameters (as validated by the server). */
  params: Record<string, number | string>;
  status: 'running' | 'paused' | 'completed' | 'aborted' | 'failed' | 'interrupted';
  done: number;
  total: number;
  message: string;
  etaS: number | null;
  reason: string;
  metrics: { key: string; value: number | null; unit: string; reason?: string }[];
  log: string[];
}

/** How each protocol's reads are drawn live: x, y, the channel that splits them into series, axes. */
interface LiveSpec {
  x: string | null; // null: the read number
  y: string;
  split?: { channel: string; names: Record<number, string> };
  xTitle: string;
  yTitle: string;
  logX?: boolean;
  logY?: boolean;
}

const LIVE: Record<string, LiveSpec> = {
  // Cycles overlaid: every train on the same pulse axis, LTP and LTD apart.
  'ltp-ltd': { x: 'pulse', y: 'i_read_A', split: { channel: 'phase', names: { 0: 'LTP', 1: 'LTD', 2: 'read noise (repeated reads)' } }, xTitle: 'pulses applied in the train (cycles overlaid)', yTitle: 'I_read (A)' },
  endurance: { x: 'cycle', y: 'i_read_A', split: { channel: 'state', names: { 1: 'LRS (after SET)', 0: 'HRS (after RESET)' } }, xTitle: 'cycle', yTitle: 'I_read (A)', logX: true, logY: true },
  ppf: { x: null, y: 'i_read_A', split: { channel: 'role', names: { 0: 'before the pair', 1: 'after pulse 1', 2: 'after pulse 2' } }, xTitle: 'read number', yTitle: 'I_read (A)' },
  iv: { x: 'v_V', y: 'i_A', split: { channel: 'sweep', names: { 1: 'SET sweeps', 2: 'RESET sweeps' } }, xTitle: 'V (V)', yTitle: '|I| (A)', logY: true },
  forming: { x: 'stress_V', y: 'i_read_A', xTitle: 'stress pulse (V)', yTitle: 'I_read after the pulse (A)', logY: true },
  polarization: { x: 'angle_deg', y: 'i_read_A', split: { channel: 'role', names: { 0: 'dark', 1: 'lit', 2: 'after the light' } }, xTitle: 'polarizer angle (°)', yTitle: 'I_read (A)' },
  stdp: { x: 'dt_s', y: 'i_read_A', split: { channel: 'role', names: { 0: 'before the pair', 1: 'after the pair' } }, xTitle: 'Δt = t_post − t_pre (s)', yTitle: 'I_read (A)' },
  energy: { x: 'wf_t_s', y: 'wf_i_A', split: { channel: 'wf_pulse', names: {} }, xTitle: 'time from the pulse start (s)', yTitle: 'device current (A)' },
  retention: { x: 't_s', y: 'i_read_A', xTitle: 'time since programming (s)', yTitle: 'I_read (A)' },
};
/** What the live metrics are plotted against, per protocol (fixed before the first point: changing a plot's axis title redraws it empty). */
const LIVE_AXIS: Record<string, string> = {
  'ltp-ltd': 'cycle',
  endurance: 'cycle',
  ppf: 'Δt (s)',
  iv: 'cycle',
  forming: 'stress |V| (V)',
  stdp: 'Δt = t_post − t_pre (s)',
  'stp-ltp': 'pulses in the train n',
  polarization: 'polarizer angle (°)',
  energy: 'captured pulse',
};

const GENERIC: LiveSpec = { x: null, y: 'i_read_A', xTitle: 'read number', yTitle: 'I_read (A)' };

/** Reads shown as conductance G = I_read / V_read when the run reads at a known voltage. */
function readVoltage(params: Record<string, number | string>): number | null {
  const v = params.readVoltageV;
  return typeof v === 'number' && v !== 0 ? v : null;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

export function RunView({ live, onAbort }: { live: LiveState | null; onAbort: () => void }) {
  const appendRef = useRef<((name: string, x: number[], y: number[], sentMs?: number) => void) | null>(null);
  const index = useRef(0);
  const [plotKey, setPlotKey] = useState(0);
  const runId = live?.runId ?? null;
  const spec = (live && LIVE[live.protocol]) ?? GENERIC;
  const vRead = live ? readVoltage(live.params) : null;
  const [logY, setLogY] = useState<boolean | null>(null);
  const logYNow = logY ?? Boolean(spec.logY);

  useEffect(() => {
    index.current = 0;
    setPlotKey((k) => k + 1);
  }, [runId]);

  // The plot of a new run is mounted one render after the run is known (plotKey): the
  // reads that arrived before it are replayed into it once, then it follows the stream.
  const replayedPlot = useRef(-1);
  useEffect(() => {
    const onData = (e: ApiEvent) => {
        if (e.type !== 'run.data' || e.runId !== runId || !appendRef.current) return;
        const y = e.channels[spec.y] ?? Object.values(e.channels)[0] ?? [];
        const xs = spec.x ? e.channels[spec.x] : undefined;
        const split = spec.split ? e.channels[spec.split.channel] : undefined;
        const byName = new Map<string, { x: number[]; y: number[] }>();
        for (let i = 0; i < y.length; i++) {
          const name = split && spec.split ? (spec.split.names[split[i]] ?? `${spec.split.channel} ${split[i]}`) : 'reads';
          let s = byName.get(name);
          if (!s) byName.set(name, (s = { x: [], y: [] }));
          const n = index.current++;
          s.x.push(xs ? xs[i] : n);
          const v = vRead !== null && spec.y === 'i_read_A' ? y[i] / vRead : y[i];
          s.y.push(logYNow ? Math.abs(v) : v);
        }
        for (const [name, s] of byName) appendRef.current(name, s.x, s.y, e.sentMs);
    };
    if (runId !== null && replayedPlot.current !== plotKey) {
      replayedPlot.current = plotKey;
      replayFor(runId, onData);
    }
    return onEvent(onData);
  }, [runId, plotKey, spec, vRead, logYNow]);

  const bind = useCallback((append: (name: string, x: number[], y: number[], sentMs?: number) => void) => {
    appendRef.current = append;
  }, []);

  // Metrics of what is complete, as they come (one series per metric).
  const liveAppendRef = useRef<((name: string, x: number[], y: number[]) => void) | null>(null);
  const liveAxis = live ? (LIVE_AXIS[live.protocol] ?? 'position in the run') : '';
  const replayedLive = useRef(-1);
  useEffect(() => {
    const onLive = (e: ApiEvent) => {
      if (e.type !== 'run.live' || e.runId !== runId) return;
      for (const p of e.points) liveAppendRef.current?.(`${p.key}${p.unit === '1' ? '' : ` (${p.unit})`}`, [p.at], [p.value]);
    };
    if (runId !== null && replayedLive.current !== plotKey) {
      replayedLive.current = plotKey;
      replayFor(runId, onLive);
    }
    return onEvent(onLive);
  }, [runId, plotKey]);
  const bindLive = useCallback((append: (name: string, x: number[], y: number[]) => void) => {
    liveAppendRef.current = append;
  }, []);

  if (!live) return <section className="view"><h2>Run</h2><p>No run yet: start one from the Protocol view.</p></section>;
  const playing = live.status === 'running' || live.status === 'paused';
  const pct = live.total > 0 ? (100 * live.done) / live.total : 0;
  return (
    <section className="view">
      <h2>
        Run {live.runId}: {live.protocol} on {live.device} — <span data-testid="run-status" className={`status ${live.status}`}>{live.status}</span>
      </h2>
      <div className="row">
        <progress max={100} value={pct} />
        <span data-testid="progress">
          {pct.toFixed(0)} % {live.message}
          {live.etaS !== null && playing ? ` — about ${live.etaS < 90 ? `${live.etaS.toFixed(0)} s` : `${(live.etaS / 60).toFixed(1)} min`} left` : ''}
        </span>
      </div>
      <div className="row controls">
        {live.status === 'paused' ? (
          <button onClick={() => void call('resume', { runId: live.runId })} data-testid="resume">
            Resume
          </button>
        ) : (
          <button disabled={!playing} onClick={() => void call('pause', { runId: live.runId })} data-testid="pause" title="holds at the next checkpoint with the outputs off">
            Pause
          </button>
        )}
        <button className="danger" disabled={!playing} onClick={onAbort} data-testid="abort" title="Esc Esc or Ctrl+.">
          Abort (Esc Esc)
        </button>
        {!playing && <span data-testid="end-reason">{live.reason}</span>}
      </div>
      <div className="row">
        <label>
          <input type="checkbox" checked={logYNow} onChange={(e) => setLogY(e.target.checked)} data-testid="log-y" /> logarithmic y axis
        </label>
      </div>
      <Plot
        key={plotKey}
        title="Reads as they are measured"
        xTitle={spec.xTitle}
        yTitle={vRead !== null && spec.y === 'i_read_A' ? `G = I_read / V_read at ${vRead} V (S)` : spec.yTitle}
        logX={spec.logX}
        logY={logYNow}
        bindAppend={bind}
        testId="live-plot"
      />
      {/* Always laid out: a plot drawn while hidden has no size and autoranges on later points only. */}
      <div data-testid="live-metric-plot">
        <Plot key={`m${plotKey}`} title="Metrics of what is complete (each point when its cycle, pair or angle ends)" xTitle={liveAxis} yTitle="value" bindAppend={bindLive} testId="live-metric-plot-area" />
      </div>
      {live.metrics.length > 0 && (
        <table className="metrics" data-testid="live-metrics">
          <tbody>
            {live.metrics.map((m) => (
              <tr key={m.key} className={m.value === null ? 'missing' : ''}>
                <td>
                  <code>{m.key}</code>
                </td>
                <td>{m.value === null ? `missing: ${m.reason}` : `${m.key.endsWith('[upper-bound]') ? '≤ ' : m.key.endsWith('[lower-bound]') ? '≥ ' : ''}${fmt(m.value)} ${m.unit === '1' ? '' : m.unit}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details open>
        <summary>events</summary>
        <ol className="log" data-testid="log">
          {live.log.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ol>
      </details>
    </section>
  );
}
