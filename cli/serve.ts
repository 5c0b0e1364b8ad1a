// `neuroprobe serve`: the user interface in a browser, until Ctrl-C (which aborts a live
// run, waits for its safe state, and closes the database).

import { fileURLToPath } from 'node:url';
import { ApiService } from '../app/api/service.ts';
import { startApiServer } from '../app/api/http-server.ts';
import { NeuroProbeApp } from '../app/service.ts';
import type { Station } from '../protocols/station.ts';

export const RENDERER_DIST = fileURLToPath(new URL('../renderer/dist', import.meta.url));

export async function serveUi(o: { db: string; station: Station; host: string; port: number }): Promise<void> {
  const app = new NeuroProbeApp(o.db);
  const api = new ApiService(app, o.station);
  const server = await startApiServer(api, { host: o.host, port: o.port, staticDir: RENDERER_DIST });
  const stopped = new Promise<string>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve(sig));
  });
  if (o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1') process.stderr.write(`note: listening on ${o.host}, reachable from other machines; the token below is still required\n`);
  process.stdout.write(`NeuroProbe user interface (${o.station.simulation ? 'SIMULATED bench' : o.station.name}; database ${o.db}):\n  ${server.url}\nOpen it in a browser. Ctrl-C stops the server (a live run is aborted safely first).\n`);
  const sig = await stopped;
  process.stderr.write(`${sig}: stopping — aborting any live run, sources to 0 V and off\n`);
  await api.shutdown();
  await server.close();
  app.close();
}
