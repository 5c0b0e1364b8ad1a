// Bench view: the station the server drives, its instruments and the safety limits every
// protocol is checked against; the station can be edited here, checked field by field as
// you type, and used (when nothing is playing).

import { useEffect, useState } from 'react';
import type { StationView } from '../../../app/api/contract.ts';
import { call } from '../api.ts';

export function BenchView({ station, onChanged }: { station: StationView; onChanged: (s: StationView) => void }) {
  const l = station.limits;
  const [json, setJson] = useState(station.json);
  const [check, setCheck] = useState<{ ok: boolean; problems: string[] } | null>(null);
  const [error, setError] = useState('');
  const [ids, setIds] = useState<Record<string, { ok: boolean; message: string }>>({});
  useEffect(() => setJson(station.json), [station.json]);
  const identify = () =>
    call<'stationIdentify', { id: string; ok: boolean; message: string }[]>('stationIdentify', {}).then(
      (r) => setIds(Object.fromEntries(r.map((x) => [x.id, x]))),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    const t = setTimeout(() => {
      call<'stationValidate', { ok: boolean; problems: string[] }>('stationValidate', { json }).then(setCheck, (e: Error) => setCheck({ ok: false, problems: [e.message] }));
    }, 200);
    return () => clearTimeout(t);
  }, [json]);
  const use = async () => {
    setError('');
    try {
      onChanged(await call<'stationUse', StationView>('stationUse', { json }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="view">
      <h2>Bench: {station.name}</h2>
      {station.simulated && <p className="sim-banner">SIMULATED bench: no hardware is touched, and runs are stored as simulated.</p>}
      <table className="instruments">
        <thead>
          <tr>
            <th>id</th>
            <th>model</th>
            <th>role</th>
            <th>resource</th>
            <th>
              <button onClick={() => void identify()} data-testid="identify">
                Identify
              </button>
            </th>
          </tr>
        </thead>
        <tbody>
          {station.instruments.map((i) => (
            <tr key={i.id}>
              <td>{i.id}</td>
              <td>{i.model}</td>
              <td>{i.role}</td>
              <td>
                <code>{i.resource}</code>
              </td>
              <td className={ids[i.id] ? (ids[i.id].ok ? 'status completed' : 'status failed') : ''} data-testid={`identify-${i.id}`}>
                {ids[i.id]?.message ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Safety limits</h3>
      <ul className="limits">
        <li>largest |V| on the device: {l.maxAbsVoltageV} V</li>
        <li>largest |I| the device may carry: {l.maxAbsCurrentA} A</li>
        <li>largest current limit (compliance): {l.complianceA} A</li>
        <li>shortest pulse: {l.minPulseWidthS} s</li>
        {l.maxOpticalPowerMw !== undefined && <li>largest optical power at the sample: {l.maxOpticalPowerMw} mW</li>}
        {station.stageTravelDeg && (
          <li>
            polarizer stage travel: {station.stageTravelDeg[0]} … {station.stageTravelDeg[1]}°
          </li>
        )}
      </ul>
      <p className="help">Parameters outside these limits are refused before any instrument command; on abort, error or a closed window the sources go to 0 V and off.</p>
      <details>
        <summary>Edit the station</summary>
        <textarea className="station-json" rows={18} cols={90} value={json} onChange={(e) => setJson(e.target.value)} spellCheck={false} data-testid="station-json" />
        <div className={check?.ok ? 'check ok' : 'check bad'} data-testid="station-check">
          {check?.ok ? 'valid' : check ? <ul role="alert">{check.problems.map((p) => <li key={p}>{p}</li>)}</ul> : 'checking…'}
        </div>
        <button disabled={!check?.ok || json === station.json} onClick={() => void use()} data-testid="station-use">
          Use this station
        </button>
        {error && <p role="alert" className="error">{error}</p>}
      </details>
    </section>
  );
}
