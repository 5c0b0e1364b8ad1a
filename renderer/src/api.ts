// The renderer's side of the API contract. In a browser (`neuroprobe serve`) commands are
// POSTed with the session token and events arrive over a WebSocket; in the Electron
// window the preload exposes the same two functions as `window.neuroprobe`.

import type { ApiEvent, CommandName, CommandParams } from '../../app/api/contract.ts';

export type { ApiEvent } from '../../app/api/contract.ts';

interface Bridge {
  invoke(command: string, params: unknown): Promise<unknown>;
  onEvent(listener: (e: ApiEvent) => void): () => void;
}

declare global {
  interface Window {
    neuroprobe?: Bridge;
  }
}

/** The session token: from the URL the server printed (kept for reloads in this tab). */
function token(): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) sessionStorage.setItem('np-token', fromUrl);
  return fromUrl ?? sessionStorage.getItem('np-token') ?? '';
}

export class ApiError extends Error {}

async function invokeHttp(command: string, params: unknown): Promise<unknown> {
  const res = await fetch(`/api/${command}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
    body: JSON.stringify(params ?? {}),
  });
  const body = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as { ok: boolean; result?: unknown; error?: string };
  if (!body.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`);
  return body.result;
}

export function call<C extends CommandName, R = unknown>(command: C, params: CommandParams<C>): Promise<R> {
  return (window.neuroprobe ? window.neuroprobe.invoke(command, params) : invokeHttp(command, params)) as Promise<R>;
}

type Listener = (e: ApiEvent) => void;
const listeners = new Set<Listener>();
let socket: WebSocket | null = null;

function connect(): void {
  if (window.neuroprobe) {
    window.neuroprobe.onEvent((e) => {
      remember(e);
      listeners.forEach((l) => l(e));
    });
    return;
  }
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events?token=${encodeURIComponent(token())}`;
  socket = new WebSocket(url);
  socket.onmessage = (m) => {
    const e = JSON.parse(String(m.data)) as ApiEvent;
    remember(e);
    listeners.forEach((l) => l(e));
  };
  socket.onclose = () => {
    socket = null;
    setTimeout(connect, 1000); // the server restarted or the network blinked: reconnect
  };
}

/**
 * The data of a run may arrive before the view showing it knows the run (a fast run's
 * first reads come with its start): recent data and live-metric events are kept, and
 * `replayFor` hands them to a view that has just learnt its run.
 */
const recent: ApiEvent[] = [];
const RECENT_MAX = 500;

export function replayFor(runId: number, l: Listener): void {
  for (const e of recent) if ('runId' in e && e.runId === runId) l(e);
}

function remember(e: ApiEvent): void {
  if (e.type !== 'run.data' && e.type !== 'run.live') return;
  recent.push(e);
  if (recent.length > RECENT_MAX) recent.splice(0, recent.length - RECENT_MAX);
}

export function onEvent(l: Listener): () => void {
  if (listeners.size === 0 && !socket) connect();
  listeners.add(l);
  return () => listeners.delete(l);
}
