// The user interface in a real browser (Debian's Chromium driven by playwright-core)
// against `neuroprobe serve`'s server on the paced simulated bench: the token guards
// the page and the socket; a bad value is refused in the form; a run started from the
// form plots live, pauses, resumes and aborts with the outputs off; finished runs are
// found, carded and compared. Screenshots of every view go to test-results/ui/.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiService } from '../../app/api/service.ts';
import { type RunningServer, startApiServer } from '../../app/api/http-server.ts';
import { NeuroProbeApp } from '../../app/service.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useTempDir } from '../helpers/temp.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let DIST = '';
const SHOTS = join(ROOT, 'test-results', 'ui');
const CHROMIUM = '/usr/bin/chromium';
const tempDir = useTempDir();

let app: NeuroProbeApp;
let api: ApiService;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  // Built from the sources now, so the test never runs against a stale renderer/dist.
  DIST = mkdtempSync(join(tmpdir(), 'neuroprobe-ui-'));
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'error', build: { outDir: DIST, emptyOutDir: true } });
  expect(existsSync(join(DIST, 'index.html'))).toBe(true);
  mkdirSync(SHOTS, { recursive: true });
  const station = simulatedStation();
  app = new NeuroProbeApp(join(tempDir(), 'ui.db'));
  api = new ApiService(app, { ...station, simulation: { ...station.simulation!, realTimeFactor: 1 } });
  server = await startApiServer(api, { staticDir: DIST, port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  if (DIST) rmSync(DIST, { recursive: true, force: true });
  await browser?.close();
  await api?.shutdown();
  await server?.close();
  app?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function points(page: Page): Promise<number> {
  return Number(await page.getByTestId('live-plot').getAttribute('data-points'));
}

describe('the browser user interface', () => {
  it('refuses the page, the API and the event socket without the token, and other origins', async () => {
    expect((await fetch(`${server.origin}/`)).status).toBe(401);
    expect((await fetch(`${server.origin}/?token=wrong`)).status).toBe(401);
    expect((await fetch(`${server.origin}/api/station`, { method: 'POST', body: '{}' })).status).toBe(401);
    const foreign = await fetch(`${server.origin}/api/station`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${server.token}`, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/api/events`);
      ws.on('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('error'));
    });
    expect(refused).toBe('HTTP 401');
    const ok = await fetch(`${server.origin}/api/station`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${server.token}` } });
    expect(((await ok.json()) as { result: { simulated: boolean } }).result.simulated).toBe(true);
  });

  it('form → live run → pause → resume → abort with outputs off → data → card → compare', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('sim-badge').textContent()).toBe('SIMULATED');

    // An out-of-limit value is refused with its message, and Start stays disabled.
    await page.fill('#param-potentiationAmplitudeV', '9');
    await expect.poll(() => page.getByTestId('check').textContent()).toMatch(/potentiationAmplitudeV = 9 V exceeds the device limit \|V\| ≤ 5 V/);
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    await shot(page, 'protocol-refused');

    await page.fill('#param-potentiationAmplitudeV', '1.5');
    await page.fill('#param-cycles', '6');
    await page.fill('#param-pulsesPerTrain', '50');
    await page.fill('#param-pulseIntervalS', '10 ms'); // SI prefixes and the unit are understood
    await expect.poll(() => page.getByTestId('check').textContent()).toMatch(/within the station's safety limits; expected duration ≈ \d/);
    await page.fill('#param-readDelayS', '1x');
    await expect.poll(() => page.getByTestId('check').textContent()).toMatch(/readDelayS: not a number/);
    await page.fill('#param-readDelayS', '1m');
    await shot(page, 'protocol');
    await page.getByTestId('start').click();

    // Live: the plot gains points while the run plays.
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 }).toBe('running');
    await expect.poll(() => points(page), { timeout: 10_000 }).toBeGreaterThan(20);
    // The header shows the station, the live run with its progress and time left, and Abort.
    await expect.poll(() => page.getByTestId('live-summary').textContent()).toMatch(/^run 1 · ltp-ltd · \d+ %/);
    expect(await page.getByTestId('station-name').textContent()).toMatch(/Simulated bench/);
    expect(await page.getByTestId('abort-global').textContent()).toBe('■ ABORT run 1');
    const before = await points(page);
    await expect.poll(() => points(page), { timeout: 10_000 }).toBeGreaterThan(before);
    // Each finished ramp adds its NL and DR to the live metrics plot.
    await expect.poll(async () => Number(await page.getByTestId('live-metric-plot-area').getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(1);
    expect(await page.getByTestId('live-metric-plot').isHidden()).toBe(false);
    await shot(page, 'run-live');

    // Pause holds at the next checkpoint with the output off; Resume continues.
    await page.getByTestId('pause').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 }).toBe('paused');
    expect(await api.handle('simState', {})).toMatchObject({ outputOn: false, triggerRunning: false });
    // Reads taken before the pause may still be drawing (appends are coalesced per frame): let the plot settle, then nothing more may arrive.
    let whilePaused = await points(page);
    for (let settled = false; !settled; ) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await points(page);
      settled = now === whilePaused;
      whilePaused = now;
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await points(page)).toBe(whilePaused);
    await shot(page, 'run-paused');
    await page.getByTestId('resume').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 }).toBe('running');
    await expect.poll(() => points(page), { timeout: 10_000 }).toBeGreaterThan(whilePaused);

    // One stray Escape does nothing; Escape twice aborts: the run ends aborted and the simulator's output is off at 0 V.
    await page.keyboard.press('Escape');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await page.getByTestId('run-status').textContent()).toBe('running');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 10_000 }).toBe('aborted');
    expect(await api.handle('simState', {})).toEqual({ outputOn: false, levelV: 0, triggerRunning: false });
    await shot(page, 'run-aborted');

    // A short run to completion, with its metrics.
    await page.getByTestId('tab-Protocol').click();
    await page.fill('#param-cycles', '2');
    await page.fill('#param-pulsesPerTrain', '40');
    await page.fill('#param-pulseIntervalS', '0.005');
    await page.fill('[data-testid=device]', 'SIM-D2');
    await expect.poll(() => page.getByTestId('check').textContent()).toMatch(/within the station's safety limits/);
    await page.getByTestId('start').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toBe('completed');
    await expect.poll(() => page.getByTestId('live-metrics').textContent(), { timeout: 5000 }).toMatch(/nl\.lsq3:ltp/);
    await shot(page, 'run-completed');

    // Data: both runs are there; the second one's card opens.
    await page.getByTestId('tab-Data').click();
    await expect.poll(() => page.getByTestId('runs-table').textContent()).toMatch(/aborted[\s\S]*completed/);
    await page.getByTestId('run-row-2').click();
    await expect.poll(() => page.getByTestId('card').textContent(), { timeout: 5000 }).toMatch(/nl\.lsq3:ltp/);
    expect(await page.getByTestId('card').textContent()).toMatch(/SIMULATED bench data/);
    await expect.poll(async () => Number(await page.getByTestId('stored-plot').getAttribute('data-points'))).toBeGreaterThan(100);
    await shot(page, 'data');
    // Zooming re-fetches only the visible range from the server (reads 20 … 60: 41 of them).
    await page.getByTestId('stored-plot').evaluate((div) => (div as unknown as { emit(ev: string, e: object): void }).emit('plotly_relayout', { 'xaxis.range[0]': 20, 'xaxis.range[1]': 60 }));
    await expect.poll(() => page.getByTestId('stored-plot').getAttribute('data-zoomed')).toBe('20,60');
    expect(Number(await page.getByTestId('stored-plot').getAttribute('data-points'))).toBe(41);

    // Import a lab CSV: the preview shows the column roles, then it becomes run 3.
    await page.locator('[data-testid=import-panel] summary').click();
    const csv = ['# exported by some instrument', 'Instrument: 2450', 'ltp,ltd', ...Array.from({ length: 21 }, (_, k) => `${1e-5 + 4e-6 * Math.sqrt(k)},${3e-5 - 1e-6 * k}`)].join('\n');
    await page.getByTestId('import-file').setInputFiles({ name: 'lab_ramp.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect.poll(() => page.getByTestId('import-preview').textContent(), { timeout: 5000 }).toMatch(/^ltp“ltp”ltd“ltd”/);
    await shot(page, 'import-preview');
    await page.getByTestId('import-go').click();
    await expect.poll(() => page.getByTestId('import-done').textContent()).toBe('imported as run 3');
    await expect.poll(() => page.getByTestId('runs-table').textContent()).toMatch(/lab_ramp.*imported/);

    // Compare the two runs.
    await page.getByTestId('select-1').check();
    await page.getByTestId('select-2').check();
    await page.getByTestId('tab-Compare').click();
    await expect.poll(async () => (await page.getByTestId('compare-table').locator('tbody tr').count())).toBe(2);
    expect(await page.getByTestId('compare-table').textContent()).toMatch(/SIM-D2[\s\S]*NeuroProbe run 2 \(simulated\)/);
    await page.fill('[data-testid=pass-criterion]', 'nl.lsq3:ltp>=1');
    await expect.poll(() => page.getByTestId('variation').textContent(), { timeout: 5000 }).toMatch(/SIMULATED bench data[\s\S]*\*\*Yield:\*\* \d+ % — pass criterion: nl\.lsq3:ltp ≥ 1/);
    await shot(page, 'compare');
    // The queue: two more devices, played one after the other.
    await page.getByTestId('tab-Queue').click();
    await page.fill('[data-testid=queue-devices]', 'Q-R1C2\nQ-R1C1');
    await page.fill('[data-testid=queue-params]', 'cycles=1\npulsesPerTrain=20\npulseIntervalS=0.004');
    await page.getByTestId('queue-add').click();
    await expect.poll(async () => page.getByTestId('queue-table').locator('tbody tr').count()).toBe(2);
    // Reorder: R1C1 first.
    await page.getByTestId('queue-up-2').click();
    await expect.poll(() => page.getByTestId('queue-table').locator('tbody tr').first().textContent()).toMatch(/^2Q-R1C1/);
    await page.getByTestId('queue-play').click();
    await expect.poll(() => page.getByTestId('queue-table').textContent(), { timeout: 30_000 }).toMatch(/Q-R1C1ltp-ltd.*completed4[\s\S]*Q-R1C2ltp-ltd.*completed5/);
    // The queue's die map colours each position by its status.
    expect(await page.getByTestId('queue-die-map').locator('td.completed').count()).toBe(2);
    await shot(page, 'queue');
    // The die map of the queued devices, coloured by pass/fail.
    await page.getByTestId('tab-Data').click();
    await page.getByTestId('select-4').check();
    await page.getByTestId('select-5').check();
    await page.getByTestId('select-1').uncheck();
    await page.getByTestId('select-2').uncheck();
    await page.getByTestId('tab-Compare').click();
    await page.fill('[data-testid=pass-criterion]', 'dr.ratio:ltp>=1.1');
    await expect.poll(() => page.getByTestId('die-map').locator('td.pass').count(), { timeout: 5000 }).toBe(2);
    await shot(page, 'die-map');
    await page.getByTestId('tab-Bench').click();
    await expect.poll(() => page.locator('.sim-banner').textContent()).toMatch(/SIMULATED bench/);
    await page.getByTestId('identify').click();
    await expect.poll(() => page.getByTestId('identify-smu').textContent()).toBe('simulated KEITHLEY INSTRUMENTS MODEL 2450');
    // Editing the station: a loosening per-device limit is refused by field, a tighter one is used.
    await page.locator('summary', { hasText: 'Edit the station' }).click();
    const json = JSON.parse((await page.getByTestId('station-json').inputValue()) as string);
    await page.getByTestId('station-json').fill(JSON.stringify({ ...json, deviceLimits: { D9: { maxAbsVoltageV: 50 } } }, null, 2));
    await expect.poll(() => page.getByTestId('station-check').textContent()).toMatch(/deviceLimits\.D9\.maxAbsVoltageV: 50 would loosen the station limit/);
    expect(await page.getByTestId('station-use').isDisabled()).toBe(true);
    await page.getByTestId('station-json').fill(JSON.stringify({ ...json, limits: { ...json.limits, maxAbsVoltageV: 2 } }, null, 2));
    await expect.poll(() => page.getByTestId('station-check').textContent()).toBe('valid');
    await page.getByTestId('station-use').click();
    await expect.poll(() => page.locator('.limits').textContent()).toMatch(/largest \|V\| on the device: 2 V/);
    expect(await page.locator('.limits').textContent()).toMatch(/largest optical power at the sample: 5 mW.*polarizer stage travel: 0 … 360°/);
    await shot(page, 'bench');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
