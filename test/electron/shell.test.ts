// The Electron shell's logic in Node (the Electron binary cannot be downloaded on the
// build machines): hardened window options, the IPC handler's validation with a stand-in
// for ipcMain, the bundles, and the one-line answer of `neuroprobe desktop` without a binary.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP, INVOKE_CHANNEL, type IpcMainLike, isAppUrl, registerInvokeHandler, windowOptions } from '../../electron/bridge.ts';
import { bundleDesktop, electronBinary } from '../../cli/desktop.ts';
import { cli } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/temp.ts';

const tempDir = useTempDir();
const APP = 'file:///opt/neuroprobe/renderer/dist/index.html';
const hasBinary = (() => {
  try {
    electronBinary();
    return true;
  } catch {
    return false;
  }
})();

function standIn() {
  const handlers = new Map<string, (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>>();
  const ipcMain: IpcMainLike = { handle: (channel, listener) => void handlers.set(channel, listener) };
  const calls: [string, unknown][] = [];
  registerInvokeHandler(ipcMain, { invoke: async (c, p) => (calls.push([c, p]), { ok: c }) }, APP);
  return { invoke: (url: string | null, ...args: unknown[]) => handlers.get(INVOKE_CHANNEL)!({ senderFrame: url === null ? null : { url } }, ...args), calls };
}

describe('Electron shell', () => {
  it('the window has no Node, is sandboxed and isolated, and loads only the preload bridge', () => {
    const o = windowOptions('/x/preload.cjs');
    expect(o.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, allowRunningInsecureContent: false, preload: '/x/preload.cjs' });
    expect(CSP).toMatch(/default-src 'self'/);
    expect(CSP).toMatch(/connect-src 'none'/);
    expect(isAppUrl(`${APP}#run`, APP)).toBe(true);
    expect(isAppUrl('https://example.com/', APP)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', APP)).toBe(false);
  });

  it('IPC: only the app page may call, only contract commands with valid parameters reach the engine', async () => {
    const { invoke, calls } = standIn();
    await expect(invoke(APP, 'runs', { filter: { status: 'completed' } })).resolves.toEqual({ ok: 'runs' });
    expect(calls).toEqual([['runs', { filter: { status: 'completed' } }]]);
    await expect(invoke('https://evil.example/', 'abort', { runId: 1 })).rejects.toThrow(/refused: a command from https:\/\/evil\.example\//);
    await expect(invoke(null, 'runs', {})).rejects.toThrow(/refused: a command from an unknown frame/);
    await expect(invoke(APP, 'rm -rf', {})).rejects.toThrow(/unknown command "rm -rf"/);
    await expect(invoke(APP, 'abort', { runId: 'all' })).rejects.toThrow(/abort: runId/);
    await expect(invoke(APP, 42, {})).rejects.toThrow(/command name is not a string/);
    expect(calls).toHaveLength(1);
  });

  it('bundles main, engine and a CommonJS preload', async () => {
    const out = await bundleDesktop(tempDir());
    for (const f of ['main.mjs', 'engine.mjs', 'preload.cjs']) expect(existsSync(join(out, f)), f).toBe(true);
    const preload = readFileSync(join(out, 'preload.cjs'), 'utf8');
    expect(preload).toMatch(/exposeInMainWorld\("neuroprobe"/);
    expect(readFileSync(join(out, 'main.mjs'), 'utf8')).toMatch(/contextIsolation: true/);
  }, 60_000);

  it.skipIf(hasBinary)('without the Electron binary (as on the build machines), `neuroprobe desktop` says so in one line and exits 1', async () => {
    const r = await cli(['desktop'], tempDir());
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/the Electron binary is not installed on this machine .*`npm run serve`/);
  });
});
