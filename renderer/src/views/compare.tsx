// Compare view: the runs ticked in Data as Table-3 rows (one per run, or per device),
// optionally with the review's published devices under their own conditions.

import { useEffect, useState } from 'react';
import type { CompareResult, DieMapEntry } from '../../../app/api/contract.ts';
import { call } from '../api.ts';
import { DieMap } from './diemap.tsx';

type Row = CompareResult['rows'][number];

export function CompareView({ selected }: { selected: number[] }) {
  const [byDevice, setByDevice] = useState(false);
  const [withReference, setWithReference] = useState(false);
  const [rows, setRows] = useState<Row[]>([]);
  const [reference, setReference] = useState<Row[]>([]);
  const [error, setError] = useState('');
  const [pass, setPass] = useState('');
  const [variation, setVariation] = useState<string | null>(null);
  const [dieMap, setDieMap] = useState<DieMapEntry[] | null>(null);
  useEffect(() => {
    if (selected.length === 0) return setRows([]);
    const t = setTimeout(() => {
      call<'compare', CompareResult>('compare', { runIds: selected, byDevice, withReference, ...(pass.trim() ? { pass } : {}) }).then(
        (r) => {
          setRows(r.rows);
          setReference(r.reference);
          setVariation(r.variation);
          setDieMap(r.dieMap);
          setError('');
        },
        (e: Error) => setError(e.message),
      );
    }, 200);
    return () => clearTimeout(t);
  }, [selected, byDevice, withReference, pass]);
  return (
    <section className="view">
      <h2>Compare</h2>
      <div className="row">
        <label>
          <input type="checkbox" checked={byDevice} onChange={(e) => setByDevice(e.target.checked)} /> one row per device
        </label>
        <label>
          <input type="checkbox" checked={withReference} onChange={(e) => setWithReference(e.target.checked)} /> with the review's reference devices
        </label>
      </div>
      <div className="row">
        <label>
          pass criterion for yield and device-to-device variation{' '}
          <input size={40} placeholder="dr.ratio:ltp>=2,states.distinct:ltp>=20" value={pass} onChange={(e) => setPass(e.target.value)} data-testid="pass-criterion" />
        </label>
      </div>
      {selected.length === 0 && <p>Tick runs in the Data view to compare them.</p>}
      {error && <p role="alert" className="error">{error}</p>}
      <table className="compare" data-testid="compare-table">
        <thead>
          <tr>
            <th>device</th>
            <th>nonlinearity (LTP/LTD)</th>
            <th>dynamic range</th>
            <th>endurance</th>
            <th>energy per spike</th>
            <th>source</th>
          </tr>
        </thead>
        <tbody>
          {[...rows, ...reference].map((r, i) => (
            <tr key={i} className={i >= rows.length ? 'reference' : ''} title={r.convention}>
              <td>{r.device}</td>
              <td>{r.nonlinearity}</td>
              <td>{r.dynamicRange}</td>
              <td>{r.endurance}</td>
              <td>{r.energyPerSpike}</td>
              <td>{r.source}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {dieMap && dieMap.length > 0 && <DieMap cells={dieMap.map((c) => ({ ...c, state: c.pass ? 'pass' : 'fail', label: c.pass ? 'pass' : 'FAIL', title: `${c.device} (${c.source}): ${c.pass ? 'pass' : 'fail'}` }))} testId="die-map" />}
      {variation && (
        <pre className="variation" data-testid="variation">
          {variation}
        </pre>
      )}
    </section>
  );
}

