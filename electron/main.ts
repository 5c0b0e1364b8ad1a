// Electron main process: one window on the built renderer, hardened (sandbox, context
// isolation, no Node, CSP, no navigation, no new windows); commands go through one
// validated IPC handler to the run engine in a utility process.

import { BrowserWindow, app, ipcMain, session, utilityProcess } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CSP, EVENT_CHANNEL, isAppUrl, registerInvokeHandler, windowOptions } from './bridge.ts';

// Runs as the bundle electron/dist/main.mjs (see `neuroprobe desktop`), beside preload.cjs and engine.mjs.
const here = import.meta.dirname;
const pageFile = join(here, '..', '..', 'renderer', 'dist', 'index.html');
const appUrl = pathToFileURL(pageFile).href;

function startEngine() {
  const child = utilityProcess.fork(join(here, 'engine.mjs'), [], { serviceName: 'NeuroProbe run engine' });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const windows = () => BrowserWindow.getAllWindows();
  child.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: unknown }) => {
    if (m.event) for (const w of windows()) w.webContents.send(EVENT_CHANNEL, m.event);
    else if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(m.error ?? 'engine error'));
    }
  });
  return {
    child,
    invoke: (command: string, params: unknown) =>
      new Promise<unknown>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        child.postMessage({ id, command, params });
      }),
  };
}

app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  const engine = startEngine();
  registerInvokeHandler(ipcMain, engine, appUrl);
  const win = new BrowserWindow(windowOptions(join(here, 'preload.cjs')));
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url, appUrl)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(appUrl);
  app.on('window-all-closed', () => {
    // The engine aborts any live run (sources safe) before it exits.
    engine.child.kill();
    app.quit();
  });
});
