// The Electron shell's logic, kept free of Electron itself so it runs under test in
// Node: the window's security options, the IPC handler that validates every command
// against the API contract and checks who sent it, and the relay to the run engine.

import { parseCommand } from '../app/api/contract.ts';

export const INVOKE_CHANNEL = 'neuroprobe:invoke';
export const EVENT_CHANNEL = 'neuroprobe:event';

/** BrowserWindow options: the renderer gets no Node, runs sandboxed and isolated; only the preload's bridge. */
export function windowOptions(preloadPath: string) {
  return {
    width: 1280,
    height: 900,
    title: 'NeuroProbe',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
    },
  } as const;
}

/** The page's Content-Security-Policy (plotly's WebGL traces compile shaders with Function). */
export const CSP = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'none'; object-src 'none'; frame-ancestors 'none'";

/** Only the app's own page may navigate: anything else is blocked (links open nowhere). */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const a = new URL(appUrl);
    return u.protocol === a.protocol && u.pathname === a.pathname;
  } catch {
    return false;
  }
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>): void;
}

export interface Engine {
  invoke(command: string, params: unknown): Promise<unknown>;
}

/**
 * Registers the one IPC entry point. A command from any frame but the app's page, or one
 * the contract does not know or whose parameters are wrong, is refused before the engine
 * sees it.
 */
export function registerInvokeHandler(ipcMain: IpcMainLike, engine: Engine, appUrl: string): void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, command, params) => {
    const from = event.senderFrame?.url ?? '';
    if (!isAppUrl(from, appUrl)) throw new Error(`refused: a command from ${from || 'an unknown frame'}, not the NeuroProbe page`);
    if (typeof command !== 'string') throw new Error('refused: the command name is not a string');
    const parsed = parseCommand(command, params);
    return engine.invoke(parsed.name, parsed.params);
  });
}
