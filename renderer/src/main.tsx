// The NeuroProbe window: Bench, Protocol, Run, Data and Compare over the API contract.
// A simulated bench is marked on every view; Abort is one click or the Esc key away.

import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { ProtocolView, StationView } from '../../app/api/contract.ts';
import { type ApiEvent, call, onEvent } from './api.ts';
import { BenchView } from './views/bench.tsx';
import { CompareView } from './views/compare.tsx';
import { DataView } from './views/data.tsx';
import { ProtocolForm } from './views/protocol.tsx';
import { QueueView } from './views/queue.tsx';
import { type LiveState, RunView } from './views/run.tsx';

const VIEWS = ['Bench', 'Protocol', 'Run', 'Queue', 'Data', 'Compare'] as const;

/** Seconds as m:ss or h:mm:ss. */
function clock(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
type View = (typeof VIEWS)[number];

function App() {
  const [view, setView] = useState<View>('Protocol');
  const [station, setStation] = useState<StationView | null>(null);
  const [protocols, setProtocols] = useState<ProtocolView[]>([]);
  const [live, setLive] = useState<LiveState | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [refresh, setRefresh] = useState(0);
  const [error, setError] = useState('');

  useEffect(() => {
    call<'station', StationView>('station', {}).then(setStation, (e: Error) => setError(e.message));
    call<'protocols', ProtocolView[]>('protocols', {}).then(setProtocols, (e: Error) => setError(e.message));
    call<'live', { runId: number; protocol: string; device: string; paused: boolean } | null>('live', {}).then((l) => {
      if (l) setLive({ runId: l.runId, protocol: l.protocol, device: l.device, params: {}, status: l.paused ? 'paused' : 'running', done: 0, total: 0, message: '', etaS: null, reason: '', metrics: [], log: [] });
    });
  }, []);

  useEffect(
    () =>
      onEvent((e: ApiEvent) => {
        const stamp = new Date().toLocaleTimeString();
        setLive((cur) => {
          if (e.type === 'run.started') return { runId: e.runId, protocol: e.protocol, device: e.device, params: e.params, status: 'running', done: 0, total: 0, message: 'started', etaS: null, reason: '', metrics: [], log: [`${stamp} started`] };
          if (!cur || !('runId' in e) || e.runId !== cur.runId) return cur;
          switch (e.type) {
            case 'run.progress':
              return { ...cur, done: e.done, total: e.total, message: e.message, etaS: e.etaS };
            case 'run.paused':
              return { ...cur, status: 'paused', log: [...cur.log, `${stamp} paused at a checkpoint, outputs off`] };
            case 'run.resumed':
              return { ...cur, status: 'running', log: [...cur.log, `${stamp} resumed`] };
            case 'run.metrics':
              return { ...cur, metrics: e.metrics };
            case 'run.ended':
              setRefresh((r) => r + 1);
              return { ...cur, status: e.status as LiveState['status'], reason: e.reason, log: [...cur.log, `${stamp} ${e.status}: ${e.reason}`] };
            default:
              return cur;
          }
        });
        if (e.type === 'safety') setLive((cur) => (cur ? { ...cur, log: [...cur.log, `${stamp} ${e.message}`] } : cur));
      }),
    [],
  );

  const playing = live !== null && (live.status === 'running' || live.status === 'paused');
  const abort = useCallback(() => {
    if (live && (live.status === 'running' || live.status === 'paused')) void call('abort', { runId: live.runId });
  }, [live]);

  // Abort: Escape twice (within a second), or Ctrl+. — never a single stray key.
  useEffect(() => {
    let lastEscape = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '.' && e.ctrlKey) return abort();
      if (e.key !== 'Escape') return;
      const now = Date.now();
      if (now - lastEscape < 1000) abort();
      lastEscape = now;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [abort]);

  return (
    <>
      <header>
        <h1>NeuroProbe</h1>
        <nav>
          {VIEWS.map((v) => (
            <button key={v} className={v === view ? 'tab active' : 'tab'} onClick={() => setView(v)} data-testid={`tab-${v}`}>
              {v}
            </button>
          ))}
        </nav>
        <span className="station-name" data-testid="station-name" title="the station this server drives">
          {station?.name}
        </span>
        {station?.simulated && <span className="sim-badge" data-testid="sim-badge" title={station.name}>SIMULATED</span>}
        {playing && (
          // One group, kept together and at the right when the bar wraps.
          <span className="run-controls">
            <span className="live-summary" data-testid="live-summary">
              run {live.runId} · {live.protocol} · {live.total > 0 ? `${((100 * live.done) / live.total).toFixed(0)} %` : 'starting'}
              {live.etaS !== null && live.status === 'running' ? ` · ${clock(live.etaS)} left` : live.status === 'paused' ? ' · paused' : ''}
            </span>
            <button className="danger abort-global" onClick={abort} data-testid="abort-global" title="Esc Esc or Ctrl+.">
              ■ ABORT run {live.runId}
            </button>
          </span>
        )}
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      <main>
        {view === 'Bench' && station && <BenchView station={station} onChanged={setStation} />}
        {view === 'Protocol' && protocols.length > 0 && <ProtocolForm protocols={protocols} busy={playing} simulated={station?.simulated ?? true} onStarted={() => setView('Run')} />}
        {/* The run view stays mounted so its live plot keeps every point while other views are open. */}
        <div hidden={view !== 'Run'}>
          <RunView live={live} onAbort={abort} />
        </div>
        {view === 'Queue' && protocols.length > 0 && <QueueView protocols={protocols} />}
        {view === 'Data' && <DataView selected={selected} setSelected={setSelected} refreshKey={refresh} />}
        {view === 'Compare' && <CompareView selected={selected} />}
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
