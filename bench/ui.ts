// User-interface figures for `npm run bench`, in Debian's Chromium (playwright-core):
// - a 10⁵-pulse LTP/LTD run played live on the paced simulator: the time from the
//   server sending a batch of reads to the browser drawing it (p50/p95/max), and the
//   renderer's frame intervals while the plot grows;
// - the first paint of a stored 10⁷-sample run (click in the runs table → points drawn),
//   repeated, beside that of a 10⁵-sample run.

import { line } from './report.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ApiService } from '../app/api/service.ts';
import { startApiServer } from '../app/api/http-server.ts';
import { NeuroProbeApp } from '../app/service.ts';
import { RunRecorder } from '../db/recorder.ts';
import { simulatedStation } from '../protocols/station.ts';

function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
}


function storeSynthetic(app: NeuroProbeApp, device: string, n: number): number {
  const rec = new RunRecorder(app.db, {
    device,
    stationName: 'bench',
    stationJson: '{"name":"bench"}',
    protocolId: 'imported',
    protocolVersion: '1.0.0',
    params: { as: 'iv' },
    softwareVersion: 'bench',
    channels: [{ name: 'i_read_A', unit: 'A', description: 'synthetic' }],
  });
  const batch = new Float64Array(100_000);
  for (let done = 0; done < n; done += batch.length) {
    for (let i = 0; i < batch.length; i++) batch[i] = 1e-5 * (1 + Math.sin((done + i) / 5000)) + 1e-7 * Math.sin(i * 12.9898);
    rec.append({ i_read_A: batch.subarray(0, Math.min(batch.length, n - done)) });
  }
  rec.finish('completed', 'synthetic', [], 'bench');
  return rec.runId;
}

export async function uiBenchmarks(): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) {
    process.stdout.write('User interface: skipped (no /usr/bin/chromium; `apt-get install chromium`)\n');
    return;
  }
  process.stdout.write('User interface (Chromium, playwright-core):\n');
  const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-uibench-'));
  const { build } = await import('vite');
  const dist = join(dir, 'dist');
  await build({ configFile: join(import.meta.dirname, '..', 'renderer', 'vite.config.ts'), logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
  const app = new NeuroProbeApp(join(dir, 'ui.db'));
  const small = storeSynthetic(app, 'STORED-1e5', 100_000);
  const large = storeSynthetic(app, 'STORED-1e7', 10_000_000);
  const station = simulatedStation();
  // Paced at 10× real time: 10⁵ pulses at a 3 ms period play in about 30 s.
  const api = new ApiService(app, { ...station, simulation: { ...station.simulation!, realTimeFactor: 10 } });
  const server = await startApiServer(api, { staticDir: dist, port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.getByTestId('tab-Data').click();
    // First paint of stored runs: warm-up once, then interleaved repeats.
    const paint = async (runId: number): Promise<number> => {
      await page.getByTestId('tab-Protocol').click();
      await page.getByTestId('tab-Data').click();
      const t0 = Date.now();
      await page.getByTestId(`run-row-${runId}`).click();
      await page.waitForFunction("Number(document.querySelector('[data-testid=stored-plot]')?.getAttribute('data-points') ?? 0) > 0", undefined, { timeout: 120_000 });
      return Date.now() - t0;
    };
    await paint(small);
    await paint(large);
    const times: Record<string, number[]> = { small: [], large: [] };
    for (let i = 0; i < 3; i++) {
      times.small.push(await paint(small));
      times.large.push(await paint(large));
    }
    const med = (xs: number[]) => q(xs, 0.5);
    line('first paint, stored 10⁵-sample run (min/med/max)', `${Math.min(...times.small)} / ${med(times.small)} / ${Math.max(...times.small)} ms`);
    line('first paint, stored 10⁷-sample run (min/med/max)', `${Math.min(...times.large)} / ${med(times.large)} / ${Math.max(...times.large)} ms   (goal < 200 ms)`);
    line('10⁷ / 10⁵ first paint (medians)', `${(med(times.large) / med(times.small)).toFixed(1)}   (goal ≤ 2)`);

    // A live 10⁵-pulse run.
    await page.getByTestId('tab-Protocol').click();
    for (const [k, v] of Object.entries({ cycles: '500', pulsesPerTrain: '100', pulseIntervalS: '0.003', nplc: '0.01', readDelayS: '0.00075', potentiationWidthS: '0.001', depressionWidthS: '0.001' })) await page.fill(`#param-${k}`, v);
    await page.waitForFunction("/within the station/.test(document.querySelector('[data-testid=check]')?.textContent ?? '')", undefined, { timeout: 10_000 });
    const t0 = Date.now();
    await page.getByTestId('start').click();
    await page.waitForFunction("['completed', 'failed', 'aborted'].includes(document.querySelector('[data-testid=run-status]')?.textContent)", undefined, { timeout: 600_000 });
    const status = await page.getByTestId('run-status').textContent();
    if (status !== 'completed') throw new Error(`the live benchmark run ended ${status}: ${await page.getByTestId('end-reason').textContent()}`);
    const wallS = (Date.now() - t0) / 1000;
    const perf = ((await page.evaluate('window.__neuroprobePerf')) as { latencyMs: number[]; frameMs: number[] } | undefined) ?? { latencyMs: [], frameMs: [] };
    const points = Number(await page.getByTestId('live-plot').getAttribute('data-points'));
    line('live run: pulses / reads drawn / wall time', `100000 / ${points} / ${wallS.toFixed(1)} s`);
    line('measured → drawn latency (p50 / p95 / max)', `${q(perf.latencyMs, 0.5).toFixed(0)} / ${q(perf.latencyMs, 0.95).toFixed(0)} / ${Math.max(...perf.latencyMs).toFixed(0)} ms   (batches ≤ 10 Hz: ≥ 100 ms by design)`);
    line('renderer frame interval (p50 / p95 / max)', `${q(perf.frameMs, 0.5).toFixed(1)} / ${q(perf.frameMs, 0.95).toFixed(1)} / ${Math.max(...perf.frameMs).toFixed(0)} ms   (60 Hz = 16.7 ms)`);
  } finally {
    await browser.close();
    await api.shutdown();
    await server.close();
    app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
