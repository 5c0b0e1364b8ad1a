// The API contract over HTTP + WebSocket, for `neuroprobe serve`: commands are POSTed to
// /api/<command>, events stream from /api/events. Bound to 127.0.0.1 unless another
// interface is asked for explicitly; a random token (printed in the URL, as Jupyter does)
// is required on every request and WebSocket upgrade; the Origin of browser requests
// must be this server; no CORS headers are ever sent. Serves the built renderer.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PREFIX, EVENTS_PATH } from './contract.ts';
import type { ApiService } from './service.ts';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

const MAX_BODY = 1 << 20;
/** Imports carry the file (base64): up to 64 MiB. */
const MAX_IMPORT_BODY = 96 << 20;

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: http.IncomingMessage): string | null {
  const m = /(?:^|;\s*)np_token=([^;]+)/.exec(req.headers.cookie ?? '');
  return m ? decodeURIComponent(m[1]) : null;
}

export async function startApiServer(api: ApiService, opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(24).toString('base64url');
  if (!existsSync(join(opts.staticDir, 'index.html'))) throw new Error(`the user interface is not built (${join(opts.staticDir, 'index.html')} is missing); run \`npm run build:ui\``);
  let origin = '';
  let allowedOrigins = new Set<string>();

  // Browsers send Origin with every POST and WebSocket: it must be this server (non-browser clients send none).
  const originOk = (req: http.IncomingMessage) => {
    const o = req.headers.origin;
    return o === undefined || allowedOrigins.has(o);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const security = {
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    };
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...security, ...extra });
      res.end(body);
    };
    if (!originOk(req)) return send(403, 'cross-origin requests are refused');

    if (url.pathname.startsWith(API_PREFIX)) {
      const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (!sameToken(auth, token)) return send(401, JSON.stringify({ ok: false, error: 'missing or wrong token' }), 'application/json');
      if (req.method !== 'POST') return send(405, JSON.stringify({ ok: false, error: 'use POST' }), 'application/json', { allow: 'POST' });
      const name = url.pathname.slice(API_PREFIX.length);
      const limit = name === 'import' || name === 'importPreview' ? MAX_IMPORT_BODY : MAX_BODY;
      let size = 0;
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          send(413, JSON.stringify({ ok: false, error: `request body over ${limit >> 20} MiB` }), 'application/json');
          req.destroy();
        } else parts.push(c);
      });
      req.on('end', () => {
        if (res.headersSent) return;
        let params: unknown;
        try {
          params = parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : {};
        } catch {
          return send(400, JSON.stringify({ ok: false, error: 'the request body is not JSON' }), 'application/json');
        }
        api.handle(name, params).then(
          (result) => send(200, JSON.stringify({ ok: true, result: result ?? null }), 'application/json'),
          (e: Error) => send(['ContractError', 'ParamError', 'SafetyError', 'BusyError', 'ImportError', 'NotFoundError', 'ZodError'].includes(e.name) ? 400 : 500, JSON.stringify({ ok: false, error: e.message }), 'application/json'),
        );
      });
      return;
    }

    // Downloads of a run's export, streamed (any run length): /download/run-<id>.<csv|json|jsonl>.
    const dl = /^\/download\/run-(\d+)\.(csv|json|jsonl)$/.exec(url.pathname);
    if (dl) {
      if (!sameToken(url.searchParams.get('token') ?? cookieToken(req), token)) return send(401, 'missing or wrong token');
      let parts: Iterable<string>;
      try {
        parts = api.app.exportRunParts(Number(dl[1]), dl[2] as 'csv' | 'json' | 'jsonl');
      } catch (e) {
        return send(404, (e as Error).message);
      }
      res.writeHead(200, {
        'content-type': dl[2] === 'csv' ? 'text/csv; charset=utf-8' : dl[2] === 'json' ? 'application/json' : 'application/x-ndjson',
        'content-disposition': `attachment; filename="run-${dl[1]}.${dl[2]}"`,
        ...security,
      });
      const it = parts[Symbol.iterator]();
      const pump = () => {
        for (;;) {
          const n = it.next();
          if (n.done) return void res.end();
          if (!res.write(n.value)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => it.return?.());
      return pump();
    }

    // The page and its assets: the token in the URL once, then a same-site cookie.
    const given = url.searchParams.get('token') ?? cookieToken(req);
    if (!sameToken(given, token)) return send(401, 'NeuroProbe: open the URL with the token that `neuroprobe serve` printed');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(opts.staticDir, rel));
    if (!file.startsWith(normalize(opts.staticDir) + sep) || !existsSync(file) || !statSync(file).isFile()) return send(404, 'not found');
    const csp = [
      "default-src 'self'",
      `connect-src 'self' ${origin.replace(/^http/, 'ws')}`,
      "img-src 'self' data: blob:",
      // plotly injects its styles; its WebGL traces compile shader code with Function.
      "style-src 'self' 'unsafe-inline'",
      "script-src 'self' 'unsafe-eval'",
      "frame-ancestors 'none'",
    ].join('; ');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      ...security,
      'content-security-policy': csp,
      'set-cookie': `np_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end(readFileSync(file));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const given = url.searchParams.get('token') ?? cookieToken(req);
    if (url.pathname !== EVENTS_PATH || !sameToken(given, token) || !originOk(req)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });
  const unsubscribe = api.subscribe((e) => {
    const text = JSON.stringify(e);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE' ? `port ${opts.port} on ${host} is already in use` : `cannot listen on ${host}:${opts.port}: ${e.message}`)));
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  origin = `http://${shown}:${port}`;
  allowedOrigins = new Set([origin, ...(host === '127.0.0.1' || host === '::1' || host === 'localhost' ? [`http://localhost:${port}`, `http://127.0.0.1:${port}`] : [])]);
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
