// Data view: the runs table with filters, one run's card and its stored data (decimated
// by the server for the plot's width); runs ticked here go to Compare.

import { useEffect, useState } from 'react';
import { call } from '../api.ts';
import { Plot } from '../plot.tsx';
import { ImportPanel } from './import.tsx';

interface RunRow {
  id: number;
  device: string;
  protocolId: string;
  protocolVersion: string;
  status: string;
  source: string;
  startedAt: string;
  samples: number;
  endReason: string | null;
}

interface Card {
  device: string;
  source: string;
  runStatus: string;
  protocol: { id: string; version: string };
  metrics: { id: string; qualifier?: string; convention?: string; status: string; value?: number; unit: string; reason?: string; method: string }[];
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

export function DataView({ selected, setSelected, refreshKey }: { selected: number[]; setSelected: (ids: number[]) => void; refreshKey: number }) {
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [filter, setFilter] = useState({ device: '', protocol: '', status: '', source: '' });
  const [open, setOpen] = useState<number | null>(null);
  const [card, setCard] = useState<Card | null>(null);
  const [series, setSeries] = useState<{ name: string; x: number[]; y: number[] }[] | null>(null);
  const [error, setError] = useState('');
  const [imported, setImported] = useState(0);
  const [skip, setSkip] = useState('1');

  useEffect(() => {
    const f = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''));
    call<'runs', RunRow[]>('runs', { filter: f }).then(setRuns, (e: Error) => setError(e.message));
  }, [filter, refreshKey, imported]);

  useEffect(() => {
    if (open === null) return;
    setCard(null);
    setSeries(null);
    call<'card', Card>('card', { runId: open }).then(setCard, (e: Error) => setError(e.message));
    call<'channel', { x: number[]; y: number[] }>('channel', { runId: open, y: 'i_read_A', maxPoints: 4000 }).then(
      (xy) => setSeries([{ name: 'i_read_A', ...xy }]),
      () => setSeries([]),
    );
  }, [open]);

  const toggle = (id: number) => setSelected(selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id]);
  return (
    <section className="view">
      <h2>Data</h2>
      <ImportPanel onImported={(id) => (setImported((n) => n + 1), setOpen(id))} />
      <div className="row filters">
        <input placeholder="device (W3-*)" value={filter.device} onChange={(e) => setFilter({ ...filter, device: e.target.value })} data-testid="filter-device" />
        <select value={filter.protocol} onChange={(e) => setFilter({ ...filter, protocol: e.target.value })}>
          <option value="">any protocol</option>
          {['ltp-ltd', 'endurance', 'ppf', 'retention', 'imported'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value })}>
          <option value="">any status</option>
          {['running', 'completed', 'aborted', 'failed', 'interrupted'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <select value={filter.source} onChange={(e) => setFilter({ ...filter, source: e.target.value })}>
          <option value="">simulated, measured, imported</option>
          {['simulated', 'measured', 'imported'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <table className="runs" data-testid="runs-table">
        <thead>
          <tr>
            <th>compare</th>
            <th>run</th>
            <th>device</th>
            <th>protocol</th>
            <th>status</th>
            <th>source</th>
            <th>started (UTC)</th>
            <th>samples</th>
            <th>ended because</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} className={open === r.id ? 'open' : ''} onClick={() => setOpen(r.id)} data-testid={`run-row-${r.id}`}>
              <td onClick={(e) => e.stopPropagation()}>
                <input type="checkbox" checked={selected.includes(r.id)} onChange={() => toggle(r.id)} data-testid={`select-${r.id}`} />
              </td>
              <td>{r.id}</td>
              <td>{r.device}</td>
              <td>
                {r.protocolId} v{r.protocolVersion}
              </td>
              <td className={`status ${r.status}`}>{r.status}</td>
              <td className={`source ${r.source}`}>{r.source}</td>
              <td>{r.startedAt.replace('T', ' ').slice(0, 19)}</td>
              <td>{r.samples}</td>
              <td className="reason">{r.endReason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open !== null && (
        <div className="card" data-testid="card">
          <h3>
            Benchmark card — run {open}
            {card ? `: ${card.device}, ${card.protocol.id} v${card.protocol.version} (${card.runStatus})` : ''}
          </h3>
          {card?.source === 'simulated' && <p className="sim-banner">SIMULATED bench data — not a measurement</p>}
          <div className="row">
            <label>
              re-analyse leaving out the first <input value={skip} onChange={(e) => setSkip(e.target.value)} size={3} data-testid="skip-cycles" /> cycle(s)
            </label>
            {!window.neuroprobe && (
              <span className="downloads">
                export:{' '}
                {(['csv', 'json', 'jsonl'] as const).map((f) => (
                  <a key={f} href={`/download/run-${open}.${f}`} download data-testid={`download-${f}`}>
                    {f}{' '}
                  </a>
                ))}
              </span>
            )}
            <button
              onClick={() =>
                call<'analyze', Card>('analyze', { runId: open, options: { skipCycles: Number(skip) } }).then(setCard, (e: Error) => setError(e.message))
              }
              data-testid="reanalyse"
            >
              Re-analyse
            </button>
          </div>
          {series && series.length > 0 && series[0].x.length > 0 && <Plot
              title={`Stored reads of run ${open}`}
              xTitle="read number"
              yTitle="I_read (A)"
              series={series}
              testId="stored-plot"
              onRange={async (range) => [{ name: 'i_read_A', ...(await call<'channel', { x: number[]; y: number[] }>('channel', { runId: open, y: 'i_read_A', maxPoints: 4000, ...(range ? { xRange: range } : {}) })) }]}
            />}
          {card && (
            <table className="metrics">
              <thead>
                <tr>
                  <th>metric</th>
                  <th>value</th>
                  <th>method</th>
                </tr>
              </thead>
              <tbody>
                {card.metrics.map((m, i) => (
                  <tr key={i} className={m.status === 'missing' ? 'missing' : ''}>
                    <td>
                      <code>
                        {m.id}
                        {m.qualifier ? `:${m.qualifier}` : ''}
                        {m.convention === 'magnitude' ? ':magnitude' : ''}
                      </code>
                    </td>
                    <td>{m.status === 'value' ? `${m.convention === 'upper-bound' ? '≤ ' : m.convention === 'lower-bound' ? '≥ ' : ''}${fmt(m.value!)} ${m.unit === '1' ? '' : m.unit}` : `missing: ${m.reason}`}</td>
                    <td className="help">{m.method}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
