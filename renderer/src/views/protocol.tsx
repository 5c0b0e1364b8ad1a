// Protocol view: the form is generated from the protocol's parameter specs (units,
// ranges, help); every change is checked by the server (validation and the station's
// safety limits) with the expected duration, and Start stays disabled while anything is
// wrong.

import { useEffect, useMemo, useState } from 'react';
import type { CheckResult, ProtocolView } from '../../../app/api/contract.ts';
import { call } from '../api.ts';

const PREFIX: Record<string, number> = { p: 1e-12, n: 1e-9, u: 1e-6, µ: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9 };

/** A number as typed, with an optional SI prefix and the field's unit: "10u", "1.5 ms", "2e-3", "100 nA". */
export function parseSi(raw: string, unit: string): number {
  const t = raw.trim();
  const u = unit && unit !== '1' ? unit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '';
  const m = new RegExp(`^([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*([pnuµmkMG]?)\\s*(?:${u})?$`).exec(t);
  if (!m || t === '') return NaN;
  return Number(m[1]) * PREFIX[m[2]];
}

function duration(s: number | null): string {
  if (s === null) return 'duration: not estimated for this protocol';
  if (s < 120) return `expected duration ≈ ${s.toFixed(1)} s`;
  if (s < 7200) return `expected duration ≈ ${(s / 60).toFixed(1)} min`;
  return `expected duration ≈ ${(s / 3600).toFixed(1)} h`;
}

export function ProtocolForm({ protocols, onStarted, busy, simulated }: { protocols: ProtocolView[]; onStarted: (runId: number) => void; busy: boolean; simulated: boolean }) {
  const [protocolId, setProtocolId] = useState(protocols[0]?.id ?? '');
  const protocol = protocols.find((p) => p.id === protocolId);
  const [device, setDevice] = useState('SIM-D1');
  const [text, setText] = useState<Record<string, string>>({});
  const [check, setCheck] = useState<CheckResult | null>(null);
  const [startError, setStartError] = useState('');

  useEffect(() => setText(Object.fromEntries((protocol?.params ?? []).map((p) => [p.name, String(p.default)]))), [protocolId]);

  const values = useMemo(() => {
    const out: Record<string, number | string> = {};
    for (const p of protocol?.params ?? []) {
      const raw = text[p.name];
      if (raw === undefined || raw === String(p.default)) continue;
      out[p.name] = p.kind === 'enum' || p.kind === 'path' ? raw : parseSi(raw, p.unit);
    }
    return out;
  }, [text, protocol]);

  const localProblems = Object.entries(values)
    .filter(([, v]) => typeof v === 'number' && !Number.isFinite(v))
    .map(([k]) => `${k}: not a number (a number with an optional SI prefix, e.g. 1.5m or 10u)`);

  useEffect(() => {
    if (!protocol || localProblems.length) return;
    const t = setTimeout(() => {
      call<'check', CheckResult>('check', { protocolId: protocol.id, params: values, device }).then(setCheck, (e: Error) => setCheck({ ok: false, problems: [e.message], durationS: null }));
    }, 150);
    return () => clearTimeout(t);
  }, [values, device, protocolId]);

  if (!protocol) return <p>No protocols.</p>;
  const problems = localProblems.length ? localProblems : (check?.problems ?? []);
  const ok = localProblems.length === 0 && check?.ok === true;

  const start = async () => {
    setStartError('');
    // Real hardware: one confirmation naming the amplitudes that will reach the device.
    if (!simulated) {
      const amps = protocol.params.filter((p) => p.unit === 'V').map((p) => `${p.name} = ${values[p.name] ?? p.default} V`);
      if (!window.confirm(`Start ${protocol.id} on device ${device} with real instruments?\n${amps.join('\n')}`)) return;
    }
    try {
      const r = await call<'start', { runId: number }>('start', { protocolId: protocol.id, params: values, device });
      onStarted(r.runId);
    } catch (e) {
      setStartError((e as Error).message);
    }
  };

  return (
    <section className="view">
      <h2>Protocol</h2>
      <div className="row">
        <label>
          protocol{' '}
          <select value={protocolId} onChange={(e) => setProtocolId(e.target.value)} data-testid="protocol-select">
            {protocols.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id} v{p.version} — {p.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          device <input value={device} onChange={(e) => setDevice(e.target.value)} data-testid="device" />
        </label>
      </div>
      <p className="help">{protocol.summary}</p>
      <table className="form">
        <tbody>
          {protocol.params.map((p) => (
            <tr key={p.name}>
              <th>
                <label htmlFor={`param-${p.name}`}>{p.name}</label>
              </th>
              <td>
                {p.kind === 'enum' ? (
                  <select id={`param-${p.name}`} value={text[p.name] ?? String(p.default)} onChange={(e) => setText({ ...text, [p.name]: e.target.value })}>
                    {p.choices!.map((c) => (
                      <option key={c}>{c}</option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={`param-${p.name}`}
                    inputMode={p.kind === 'path' ? 'text' : 'decimal'}
                    placeholder={p.kind === 'path' ? 'file on the bench computer (empty: built-in)' : undefined}
                    value={text[p.name] ?? String(p.default)}
                    onChange={(e) => setText({ ...text, [p.name]: e.target.value })}
                  />
                )}{' '}
                <span className="unit">{p.unit}</span>
              </td>
              <td className="help">
                {p.help}
                {p.kind === 'number' || p.kind === 'integer' ? ` (${p.min} … ${p.max}${p.unit ? ' ' + p.unit : ''})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className={ok ? 'check ok' : 'check bad'} data-testid="check">
        {problems.length > 0 ? (
          <ul role="alert">
            {problems.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        ) : (
          <span>{check ? `within the station's safety limits; ${duration(check.durationS)}` : 'checking…'}</span>
        )}
      </div>
      <button className="primary" disabled={!ok || busy} onClick={() => void start()} data-testid="start">
        Start
      </button>
      {busy && <span className="help"> a run is playing on this bench</span>}
      {startError && <p role="alert" className="error">{startError}</p>}
    </section>
  );
}
