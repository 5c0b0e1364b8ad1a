// The run engine in its own process (Electron utility process): the application service,
// the live run and the instruments live here, so a frozen or crashed window never delays
// the safe state. Messages from the main process: { id, command, params }; replies:
// { id, ok, result | error }; events: { event }.

import { ApiService } from '../app/api/service.ts';
import { NeuroProbeApp } from '../app/service.ts';
import { loadStationFile, simulatedStation } from '../protocols/station.ts';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const port = (process as unknown as { parentPort: ParentPort }).parentPort;
const dbPath = process.env.NEUROPROBE_DB ?? 'neuroprobe.db';
const station = process.env.NEUROPROBE_STATION ? loadStationFile(process.env.NEUROPROBE_STATION) : simulatedStation();
const sim = station.simulation && station.simulation.realTimeFactor === undefined ? { ...station, simulation: { ...station.simulation, realTimeFactor: 1 } } : station;
const app = new NeuroProbeApp(dbPath);
const api = new ApiService(app, sim);
api.subscribe((event) => port.postMessage({ event }));

port.on('message', ({ data }) => {
  const { id, command, params } = data as { id: number; command: string; params: unknown };
  api.handle(command, params).then(
    (result) => port.postMessage({ id, ok: true, result: result ?? null }),
    (e: Error) => port.postMessage({ id, ok: false, error: e.message }),
  );
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    void api.shutdown().finally(() => {
      app.close();
      process.exit(0);
    });
  });
}
