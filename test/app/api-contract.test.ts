// One contract test suite, run against both transports that carry the API: HTTP +
// WebSocket (`neuroprobe serve`) and the Electron IPC handler (with a stand-in for
// ipcMain). Both must accept, refuse and stream exactly the same things.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent } from '../../app/api/contract.ts';
import { startApiServer } from '../../app/api/http-server.ts';
import { ApiService } from '../../app/api/service.ts';
import { NeuroProbeApp } from '../../app/service.ts';
import { type IpcMainLike, registerInvokeHandler } from '../../electron/bridge.ts';
import { simulatedStation } from '../../protocols/station.ts';

interface Transport {
  invoke(command: string, params: unknown): Promise<unknown>;
  events: ApiEvent[];
  close(): Promise<void>;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function newApi(): { app: NeuroProbeApp; api: ApiService; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-api-'));
  dirs.push(dir);
  const app = new NeuroProbeApp(join(dir, 'api.db'));
  return { app, api: new ApiService(app, simulatedStation()), dir };
}

async function httpTransport(): Promise<Transport> {
  const { app, api, dir } = newApi();
  const dist = join(dir, 'dist');
  mkdirSync(dist);
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>t</title>');
  const server = await startApiServer(api, { staticDir: dist, port: 0 });
  const events: ApiEvent[] = [];
  const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/api/events?token=${server.token}`);
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  ws.on('message', (m) => events.push(JSON.parse(String(m)) as ApiEvent));
  return {
    events,
    invoke: async (command, params) => {
      const res = await fetch(`${server.origin}/api/${command}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(params) });
      const body = (await res.json()) as { ok: boolean; result?: unknown; error?: string };
      if (!body.ok) throw new Error(body.error);
      return body.result;
    },
    close: async () => {
      ws.close();
      await server.close();
      app.close();
    },
  };
}

async function ipcTransport(): Promise<Transport> {
  const { app, api } = newApi();
  const APP = 'file:///app/renderer/dist/index.html';
  let handler: ((event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>) | null = null;
  const ipcMain: IpcMainLike = { handle: (_channel, l) => void (handler = l) };
  registerInvokeHandler(ipcMain, { invoke: (c, p) => api.handle(c, p) }, APP);
  const events: ApiEvent[] = [];
  const off = api.subscribe((e) => events.push(JSON.parse(JSON.stringify(e)) as ApiEvent)); // as structured clone would carry it
  return {
    events,
    invoke: async (command, params) => JSON.parse(JSON.stringify(await handler!({ senderFrame: { url: APP } }, command, params)) ?? 'null') as unknown,
    close: async () => {
      off();
      app.close();
    },
  };
}

for (const [name, make] of [
  ['HTTP + WebSocket', httpTransport],
  ['Electron IPC', ipcTransport],
] as const) {
  describe(`API contract over ${name}`, () => {
    it('describes protocols and checks parameters against the safety limits', async () => {
      const t = await make();
      try {
        const protocols = (await t.invoke('protocols', {})) as { id: string; params: { name: string; unit: string; min?: number }[] }[];
        const ltp = protocols.find((p) => p.id === 'ltp-ltd')!;
        expect(ltp.params.find((p) => p.name === 'potentiationAmplitudeV')).toMatchObject({ unit: 'V', min: -200 });
        expect(await t.invoke('check', { protocolId: 'ltp-ltd', params: { potentiationAmplitudeV: 9 }, device: 'D' })).toEqual({
          ok: false,
          problems: ['potentiationAmplitudeV = 9 V exceeds the device limit |V| ≤ 5 V'],
          durationS: null,
        });
        const ok = (await t.invoke('check', { protocolId: 'ltp-ltd', params: {}, device: 'D' })) as { ok: boolean; durationS: number };
        expect(ok.ok).toBe(true);
        expect(ok.durationS).toBeCloseTo(10 * 0.003 + 5 * 2 * (0.003 + 100 * 0.02), 6);
        // What the instruments cannot play is found before Start too (from the drivers' capabilities, offline).
        const infeasible = (await t.invoke('check', { protocolId: 'ltp-ltd', params: { readDelayS: 0.0003 }, device: 'D' })) as { ok: boolean; problems: string[] };
        expect(infeasible.ok).toBe(false);
        expect(infeasible.problems.join(' ')).toMatch(/segment 1 duration 0\.0003 s is outside what it supports \(0\.00075 to 100000 s\)/);
        await expect(t.invoke('explode', {})).rejects.toThrow(/unknown command "explode"/);
        await expect(t.invoke('run', { runId: -1 })).rejects.toThrow(/run: runId/);
        await expect(t.invoke('start', { protocolId: 'ltp-ltd', params: { cycles: 'many' }, device: 'D' })).rejects.toThrow(/cycles must be a number/);
      } finally {
        await t.close();
      }
    });

    it('starts a run, streams its events, then finds, cards, plots and compares it', async () => {
      const t = await make();
      try {
        const { runId } = (await t.invoke('start', { protocolId: 'ltp-ltd', params: { cycles: 2, pulsesPerTrain: 30 }, device: 'API-1' })) as { runId: number };
        expect(runId).toBe(1);
        await expect.poll(() => t.events.some((e) => e.type === 'run.ended'), { timeout: 10_000 }).toBe(true);
        const types = t.events.map((e) => e.type);
        expect(types[0]).toBe('run.started');
        expect(types).toContain('run.progress');
        expect(types.slice(-2)).toEqual(['run.metrics', 'run.ended']);
        const reads = t.events.flatMap((e) => (e.type === 'run.data' ? (e.channels.i_read_A ?? []) : []));
        expect(reads).toHaveLength(10 + 2 * 2 * 31);
        expect(t.events.find((e) => e.type === 'run.ended')).toMatchObject({ runId: 1, status: 'completed' });
        const runs = (await t.invoke('runs', { filter: { device: 'API-*' } })) as { id: number; source: string }[];
        expect(runs).toEqual([expect.objectContaining({ id: 1, source: 'simulated' })]);
        const card = (await t.invoke('card', { runId: 1 })) as { metrics: { id: string }[] };
        expect(card.metrics.map((m) => m.id)).toContain('nl.lsq3');
        const xy = (await t.invoke('channel', { runId: 1, y: 'i_read_A', maxPoints: 50 })) as { x: number[]; y: number[] };
        expect(xy.x.length).toBeLessThanOrEqual(50);
        expect(xy.y.length).toBe(xy.x.length);
        const cmp = (await t.invoke('compare', { runIds: [1] })) as { rows: { device: string }[] };
        expect(cmp.rows[0].device).toBe('API-1');
        await expect(t.invoke('abort', { runId: 1 })).rejects.toThrow(/run 1 is not playing on this bench/);
      } finally {
        await t.close();
      }
    });
  });
}

describe('downloads over HTTP', () => {
  it('streams a run export as an attachment, only with the token', async () => {
    const { app, api, dir } = newApi();
    const dist = join(dir, 'dist');
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>t</title>');
    const server = await startApiServer(api, { staticDir: dist, port: 0 });
    try {
      await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1 }, station: simulatedStation(), device: 'DL' });
      expect((await fetch(`${server.origin}/download/run-1.csv`)).status).toBe(401);
      const res = await fetch(`${server.origin}/download/run-1.csv?token=${server.token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="run-1.csv"');
      const text = await res.text();
      expect(text.split('\n')[2]).toBe('t_s [s],i_read_A [A],v_read_V [V],cycle [1],phase [1],pulse [1]');
      expect(text.trim().split('\n')).toHaveLength(3 + 10 + 202);
      expect((await fetch(`${server.origin}/download/run-9.jsonl?token=${server.token}`)).status).toBe(404);
    } finally {
      await server.close();
      app.close();
    }
  });
});
