// Queue view: the same protocol over many devices, played one after another on this
// bench and kept in the database (it survives a restart). Play, stop after the current
// run, and every item's status with its run.

import { useEffect, useState } from 'react';
import type { ProtocolView } from '../../../app/api/contract.ts';
import { call, onEvent } from '../api.ts';
import { DieMap } from './diemap.tsx';

interface Item {
  id: number;
  device: string;
  protocolId: string;
  params: Record<string, number | string>;
  status: string;
  runId: number | null;
  note: string | null;
  /** Die position from the device name (server-side), or null. */
  position: { row: number; col: number } | null;
}

export function QueueView({ protocols }: { protocols: ProtocolView[] }) {
  const [items, setItems] = useState<Item[]>([]);
  const [playing, setPlaying] = useState(false);
  const [devices, setDevices] = useState('');
  const [protocolId, setProtocolId] = useState(protocols[0]?.id ?? '');
  const [paramText, setParamText] = useState('');
  const [error, setError] = useState('');

  const load = () => call<'queue', { items: Item[]; playing: boolean }>('queue', {}).then((r) => {
    setItems(r.items);
    setPlaying(r.playing);
  });
  useEffect(() => {
    void load();
    return onEvent((e) => {
      if (e.type === 'queue.changed' || e.type === 'run.ended') void load();
    });
  }, []);

  const add = async () => {
    setError('');
    const spec = protocols.find((p) => p.id === protocolId);
    const params: Record<string, number | string> = {};
    for (const line of paramText.split(/\n|,/).map((l) => l.trim()).filter(Boolean)) {
      const [k, v] = line.split('=').map((x) => x.trim());
      const p = spec?.params.find((x) => x.name === k);
      if (!p || v === undefined) return setError(`"${line}": expected parameter=value with a parameter of ${protocolId}`);
      params[k] = p.kind === 'enum' || p.kind === 'path' ? v : Number(v);
    }
    const names = devices.split(/[\n,;]/).map((d) => d.trim()).filter(Boolean);
    if (names.length === 0) return setError('name at least one device');
    try {
      await call('queueAdd', { devices: names, protocolId, params });
      setDevices('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section className="view">
      <h2>Queue</h2>
      <div className="row">
        <button className="primary" disabled={playing || !items.some((i) => i.status === 'pending')} onClick={() => call('queuePlay', {}).catch((e: Error) => setError(e.message))} data-testid="queue-play">
          Play the queue
        </button>
        <button disabled={!playing} onClick={() => void call('queueStop', {})} data-testid="queue-stop">
          Stop after the current run
        </button>
        <button disabled={playing} onClick={() => call('queueClear', { all: false }).then(load)}>
          Remove pending items
        </button>
        {playing && <span className="status running">playing</span>}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {(() => {
        // The die map of the queued devices (the latest item per position), coloured by status.
        const cells = new Map<string, Item & { row: number; col: number }>();
        for (const i of items) {
          const p = i.position;
          if (p) cells.set(`${p.row},${p.col}`, { ...i, ...p });
        }
        return cells.size > 0 ? (
          <DieMap cells={[...cells.values()].map((c) => ({ device: c.device, row: c.row, col: c.col, state: c.status, label: c.status, title: `${c.device}: ${c.protocolId} ${c.status}${c.runId ? ` (run ${c.runId})` : ''}` }))} testId="queue-die-map" />
        ) : null;
      })()}
      <table className="queue" data-testid="queue-table">
        <thead>
          <tr>
            <th>item</th>
            <th>device</th>
            <th>protocol</th>
            <th>parameters</th>
            <th>status</th>
            <th>run</th>
            <th>note</th>
            <th>order</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i, k) => (
            <tr key={i.id} data-testid={`queue-item-${i.id}`}>
              <td>{i.id}</td>
              <td>{i.device}</td>
              <td>{i.protocolId}</td>
              <td className="help">{Object.entries(i.params).map(([k, v]) => `${k}=${v}`).join(' ')}</td>
              <td className={`status ${i.status}`}>{i.status}</td>
              <td>{i.runId ?? ''}</td>
              <td className="reason">{i.note}</td>
              <td>
                {i.status === 'pending' && k > 0 && (
                  <button title="play earlier" onClick={() => void call('queueMove', { id: i.id, beforeId: items[k - 1].id }).then(load)} data-testid={`queue-up-${i.id}`}>
                    ↑
                  </button>
                )}
                {i.status === 'pending' && (
                  <button title="remove" onClick={() => void call('queueRemove', { id: i.id }).then(load)}>
                    ✕
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Add</h3>
      <div className="row add">
        <label>
          devices (one per line, or a die map's first column)
          <br />
          <textarea rows={5} cols={30} value={devices} onChange={(e) => setDevices(e.target.value)} data-testid="queue-devices" />
        </label>
        <label>
          protocol
          <br />
          <select value={protocolId} onChange={(e) => setProtocolId(e.target.value)} data-testid="queue-protocol">
            {protocols.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          parameters (name=value; defaults otherwise)
          <br />
          <textarea rows={5} cols={36} value={paramText} onChange={(e) => setParamText(e.target.value)} data-testid="queue-params" />
        </label>
        <button onClick={() => void add()} data-testid="queue-add">
          Add to the queue
        </button>
      </div>
    </section>
  );
}
