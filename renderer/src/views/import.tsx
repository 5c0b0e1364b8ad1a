// Import a lab file: pick it, choose what it holds, see the first rows and the role each
// column will get (and what was detected: metadata lines, decimal commas, encoding),
// then import it as a run.

import { useEffect, useState } from 'react';
import { call } from '../api.ts';

const KINDS = ['ltp-ltd', 'stdp', 'ppf', 'retention', 'polarization', 'endurance', 'energy', 'iv'];

interface Preview {
  header: string[] | null;
  rows: number[][];
  totalRows: number;
  roles: string[];
  notes: string[];
}

function base64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function ImportPanel({ onImported }: { onImported: (runId: number) => void }) {
  const [file, setFile] = useState<{ name: string; b64: string } | null>(null);
  const [kind, setKind] = useState('ltp-ltd');
  const [columns, setColumns] = useState('');
  const [gBefore, setGBefore] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');

  const opts = () => ({
    as: kind,
    ...(columns.trim() ? { columns: columns.trim() } : {}),
    ...(kind === 'retention' && gBefore.trim() ? { gBeforeS: Number(gBefore) } : {}),
  });

  useEffect(() => {
    setPreview(null);
    setError('');
    if (!file) return;
    call<'importPreview', Preview>('importPreview', { fileName: file.name, contentBase64: file.b64, ...opts() }).then(setPreview, (e: Error) => setError(e.message));
  }, [file, kind, columns]);

  const pick = async (f: File | undefined) => {
    setDone('');
    if (!f) return setFile(null);
    setFile({ name: f.name, b64: base64(await f.arrayBuffer()) });
  };

  const doImport = async () => {
    if (!file) return;
    try {
      const r = await call<'import', { runId: number; notes: string[] }>('import', { fileName: file.name, contentBase64: file.b64, ...opts() });
      setDone(`imported as run ${r.runId}`);
      onImported(r.runId);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <details className="import" data-testid="import-panel">
      <summary>Import a CSV of existing measurements</summary>
      <div className="row">
        <input type="file" accept=".csv,.tsv,.txt,text/csv" onChange={(e) => void pick(e.target.files?.[0])} data-testid="import-file" />
        <label>
          the file holds{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="import-kind">
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          column roles <input value={columns} onChange={(e) => setColumns(e.target.value)} placeholder="from the header" />
        </label>
        {kind === 'retention' && (
          <label>
            G before programming (S) <input value={gBefore} onChange={(e) => setGBefore(e.target.value)} />
          </label>
        )}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {preview && (
        <>
          {preview.notes.length > 0 && <p className="help">{preview.notes.join('; ')}</p>}
          <table className="preview" data-testid="import-preview">
            <thead>
              <tr>
                {preview.roles.map((r, i) => (
                  <th key={i}>
                    {r}
                    {preview.header ? <div className="help">“{preview.header[i]}”</div> : null}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((v, j) => (
                    <td key={j}>{Number.isNaN(v) ? '—' : Number(v.toPrecision(6))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="help">{preview.totalRows} rows</p>
          <button className="primary" onClick={() => void doImport()} data-testid="import-go">
            Import as a run
          </button>
        </>
      )}
      {done && <p data-testid="import-done">{done}</p>}
    </details>
  );
}
