// HDF5 export (h5py, MATLAB, ArC TWO users), written in constant memory: each channel is
// a chunked, resizable float64 dataset appended batch by batch.
// Layout:
//   /                 attributes: format, format_version, run_id, device, protocol, protocol_version,
//                     status, source, end_reason, started_at, ended_at, software_version,
//                     params_json, station_json, simulation_json
//   /channels/<name>  float64 [n], attributes unit, description
//   /events/t_s       float64 [m];  /events/kind, /events/data_json  strings [m]
//   /metrics/...      id, qualifier, convention, status, unit, method, reason (strings), value, stderr (float64; NaN when missing),
//                     attribute analysis_version; conditions per metric in /metrics/conditions_json

import h5wasm from 'h5wasm/node';
import type { Db } from './database.ts';
import { ChannelCursor, exportEvents } from './export.ts';
import { getRun, readMetrics } from './reader.ts';

const BATCH = 65536;

export async function exportRunHdf5(db: Db, runId: number, path: string): Promise<void> {
  await h5wasm.ready;
  const run = getRun(db, runId);
  const f = new h5wasm.File(path, 'w');
  try {
    const attrs: Record<string, string | number> = {
      format: 'neuroprobe.run-export',
      format_version: 1,
      run_id: run.id,
      device: run.device,
      protocol: run.protocolId,
      protocol_version: run.protocolVersion,
      status: run.status,
      source: run.source,
      end_reason: run.endReason ?? '',
      started_at: run.startedAt,
      ended_at: run.endedAt ?? '',
      software_version: run.softwareVersion,
      params_json: JSON.stringify(run.params),
      station_json: run.station.json,
      simulation_json: run.simulation ? JSON.stringify(run.simulation) : '',
    };
    for (const [k, v] of Object.entries(attrs)) f.create_attribute(k, v);

    const channels = f.create_group('channels');
    const ids = db.prepare('SELECT id FROM channels WHERE run_id = ? ORDER BY id').all(runId) as { id: number }[];
    for (const [i, c] of run.channels.entries()) {
      const ds = channels.create_dataset({ name: c.name, data: new Float64Array(0), shape: [0], maxshape: [null], chunks: [BATCH], dtype: '<d' });
      ds.create_attribute('unit', c.unit);
      ds.create_attribute('description', c.description);
      const cursor = new ChannelCursor(db, ids[i].id);
      let n = 0;
      for (let v = cursor.take(BATCH); v.length > 0; v = cursor.take(BATCH)) {
        ds.resize([n + v.length]);
        ds.write_slice([[n, n + v.length]], v.slice());
        n += v.length;
      }
    }

    const events = f.create_group('events');
    const t = events.create_dataset({ name: 't_s', data: new Float64Array(0), shape: [0], maxshape: [null], chunks: [4096], dtype: '<d' });
    const kinds: string[] = [];
    const data: string[] = [];
    const times: number[] = [];
    let written = 0;
    const flushEvents = () => {
      if (times.length === 0) return;
      t.resize([written + times.length]);
      t.write_slice([[written, written + times.length]], Float64Array.from(times));
      written += times.length;
      times.length = 0;
    };
    for (const e of exportEvents(db, runId)) {
      times.push(e.tS);
      kinds.push(e.kind);
      data.push(e.data === null ? '' : JSON.stringify(e.data));
      if (times.length >= 4096) flushEvents();
    }
    flushEvents();
    // Variable-length strings: written whole (events carry short texts; numbers stream above).
    events.create_dataset({ name: 'kind', data: kinds.length ? kinds : [''], shape: [Math.max(1, kinds.length)] });
    events.create_dataset({ name: 'data_json', data: data.length ? data : [''], shape: [Math.max(1, data.length)] });
    events.create_attribute('count', kinds.length);

    const { analysisVersion, metrics } = readMetrics(db, runId);
    const mg = f.create_group('metrics');
    mg.create_attribute('analysis_version', analysisVersion ?? '');
    mg.create_attribute('count', metrics.length);
    if (metrics.length > 0) {
      const str = (name: string, values: string[]) => mg.create_dataset({ name, data: values, shape: [values.length] });
      str('id', metrics.map((m) => m.id));
      str('qualifier', metrics.map((m) => m.qualifier ?? ''));
      str('convention', metrics.map((m) => m.convention ?? ''));
      str('status', metrics.map((m) => m.status));
      str('unit', metrics.map((m) => m.unit));
      str('method', metrics.map((m) => m.method));
      str('reason', metrics.map((m) => (m.status === 'missing' ? m.reason : '')));
      str('conditions_json', metrics.map((m) => JSON.stringify(m.conditions)));
      mg.create_dataset({ name: 'value', data: Float64Array.from(metrics, (m) => (m.status === 'value' ? m.value : NaN)), shape: [metrics.length], dtype: '<d' });
      mg.create_dataset({ name: 'stderr', data: Float64Array.from(metrics, (m) => (m.status === 'value' && m.stderr !== undefined ? m.stderr : NaN)), shape: [metrics.length], dtype: '<d' });
    }
  } finally {
    f.close();
  }
}
