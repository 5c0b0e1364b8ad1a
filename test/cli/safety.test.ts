// Safety and integrity as a user meets them at the probe station: signals from every
// direction during a train, a second terminal watching the database, two runs at once,
// outputs that never clobber the data, a silent instrument, safe-off after a kill.

import { writeFileSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { type SimServer, serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { cli, exited, spawnCli, waitFor } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/temp.ts';
import { writePacedSimStation } from '../helpers/stations.ts';

const tempDir = useTempDir();
const servers: SimServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

/** A paced simulated 2450 on loopback TCP (trains take wall-clock time) and a station file naming it. */
async function pacedTcpBench(dir: string): Promise<{ sim: SimBench; station: string }> {
  const sim = new SimBench({ seed: 1, realTimeFactor: 1 });
  const server = await serveInstrument(sim.instrument('keithley2450'), 0);
  servers.push(server);
  const station = join(dir, 'lan.json');
  writeFileSync(
    station,
    JSON.stringify({
      name: 'LAN bench',
      instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${server.port}::SOCKET`, role: 'source-meter' }],
      wiring: { sourceMeter: 'smu' },
      limits: { maxAbsVoltageV: 5, maxAbsCurrentA: 1e-2, complianceA: 1e-3, minPulseWidthS: 1e-7 },
    }),
  );
  return { sim, station };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('every way a process can end leaves the outputs off', () => {
  for (const sig of ['SIGHUP', 'SIGQUIT', 'SIGTERM', 'SIGINT'] as const) {
    it(`${sig} during a train: 0 V, output off, trigger model stopped, run stored aborted`, async () => {
      const dir = tempDir();
      const { sim, station } = await pacedTcpBench(dir);
      const child = spawnCli(['run', 'endurance', '--station', station, '--set', 'cyclesPerTrain=1000', '--db', 'x.db'], dir);
      await waitFor(child, 'stderr', /running endurance/);
      await sleep(400);
      expect(sim.smu.isTriggerRunning).toBe(true); // the train is playing: ±3 V pulses on the device
      const t0 = Date.now();
      child.kill(sig);
      expect(await exited(child)).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(sim.smu.isOutputOn).toBe(false);
      expect(sim.smu.sourceLevelV).toBe(0);
      expect(sim.smu.isTriggerRunning).toBe(false);
      const app = new NeuroProbeApp(join(dir, 'x.db'), { mustExist: true });
      const run = app.run(1);
      app.close();
      expect(run.status).toBe('aborted');
      expect(run.endReason).toBe(`aborted by ${sig}`);
    });
  }

  it('Ctrl-C while connecting to a silent instrument ends at once with exit 130 and the attempt stored', async () => {
    const dir = tempDir();
    const silent = net.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const station = join(dir, 'silent.json');
      writeFileSync(
        station,
        JSON.stringify({
          name: 'silent',
          instruments: [{ id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${port}::SOCKET`, role: 'source-meter', timeoutMs: 20_000 }],
          wiring: { sourceMeter: 'smu' },
          limits: { maxAbsVoltageV: 5, maxAbsCurrentA: 1e-2, complianceA: 1e-3, minPulseWidthS: 1e-7 },
        }),
      );
      const child = spawnCli(['run', 'ltp-ltd', '--station', station, '--db', 's.db'], dir);
      // The run row exists once the parameters passed; then the process waits for *IDN?.
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        try {
          const app = new NeuroProbeApp(join(dir, 's.db'), { mustExist: true });
          const n = app.runs().length;
          app.close();
          if (n > 0) break;
        } catch {
          // not created yet
        }
      }
      await sleep(300);
      const t0 = Date.now();
      child.kill('SIGINT');
      expect(await exited(child)).toBe(130);
      expect(Date.now() - t0).toBeLessThan(1500);
      const app = new NeuroProbeApp(join(dir, 's.db'), { mustExist: true });
      const run = app.run(1);
      app.close();
      expect(run.status).toBe('aborted');
      expect(run.endReason).toBe('did not start: aborted by SIGINT');
    } finally {
      silent.close();
    }
  });

  it('after a SIGKILL the instrument keeps pulsing; `safe-off <station>` stops it', async () => {
    const dir = tempDir();
    const { sim, station } = await pacedTcpBench(dir);
    const child = spawnCli(['run', 'endurance', '--station', station, '--set', 'cyclesPerTrain=1000', '--db', 'k.db'], dir);
    await waitFor(child, 'stderr', /running endurance/);
    await sleep(400);
    child.kill('SIGKILL');
    await exited(child);
    await sleep(200);
    expect(sim.smu.isTriggerRunning).toBe(true); // what the README warns about
    const off = await cli(['safe-off', station], dir);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^ok\s+smu \(TCPIP0::127\.0\.0\.1::\d+::SOCKET\): KEITHLEY INSTRUMENTS MODEL 2450: output off at 0 V \(confirmed\)/m);
    expect(sim.smu.isTriggerRunning).toBe(false);
    expect(sim.smu.isOutputOn).toBe(false);
    expect(sim.smu.sourceLevelV).toBe(0);
  });
});

describe('a live run is never disturbed', () => {
  it('`runs` from a second terminal leaves it running, `resume` is refused, and it completes', async () => {
    const dir = tempDir();
    const station = writePacedSimStation(dir, 2, 20);
    const child = spawnCli(['run', 'ltp-ltd', '--station', station, '--set', 'cycles=60', '--db', 'live.db'], dir); // about 12 s of wall-clock time
    await waitFor(child, 'stderr', /running ltp-ltd/);
    const runs = await cli(['runs', '--db', 'live.db'], dir);
    expect(runs.stdout).toMatch(/^1\s+SIM-D1\s+ltp-ltd v1\.1\.0\s+running\s+simulated/m);
    const resume = await cli(['resume', '1', '--db', 'live.db'], dir);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/run 1 is running; .*another process is recording it/);
    expect(await exited(child)).toBe(0);
    const after = await cli(['runs', '--db', 'live.db'], dir);
    expect(after.stdout).toMatch(/^1\s+SIM-D1\s+ltp-ltd v1\.1\.0\s+completed/m);
  });

  it('two runs at once into one new database both complete, and so do four processes creating it', async () => {
    const dir = tempDir();
    const kids = [0, 1, 2, 3].map((i) => spawnCli(['run', 'ltp-ltd', '--set', `cycles=${i < 2 ? 20 : 1}`, '--device', `D${i}`, '--db', 'shared.db'], dir));
    const codes = await Promise.all(kids.map(exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const app = new NeuroProbeApp(join(dir, 'shared.db'), { mustExist: true });
    const runs = app.runs();
    const integrity = app.db.pragma('integrity_check', { simple: true });
    app.close();
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(runs.map((r) => r.samples).sort((a, b) => a - b)).toEqual([10 + 202, 10 + 202, 10 + 20 * 202, 10 + 20 * 202]);
    expect(integrity).toBe('ok');
  });
});

describe('outputs never clobber inputs', () => {
  it('refuses --out onto the database, any SQLite file, or an existing file without --force', async () => {
    const dir = tempDir();
    expect((await cli(['run', 'ltp-ltd', '--set', 'cycles=1', '--db', 'X.db'], dir)).code).toBe(0);
    const size = statSync(join(dir, 'X.db')).size;
    for (const args of [
      ['export', '1', '--format', 'csv', '--out', 'X.db', '--db', 'X.db'],
      ['card', '1', '--format', 'md', '--out', './X.db', '--db', 'X.db'],
      ['export-model', '1', '--to', 'neurosim', '--out', 'X.db', '--db', 'X.db', '--force'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/--out .*X\.db is the database being read/);
    }
    expect((await cli(['run', 'ltp-ltd', '--set', 'cycles=1', '--db', 'other.db'], dir)).code).toBe(0);
    const ontoOther = await cli(['export', '1', '--format', 'csv', '--out', 'other.db', '--db', 'X.db', '--force'], dir);
    expect(ontoOther.code).toBe(2);
    expect(ontoOther.stderr).toMatch(/other\.db is an SQLite database; NeuroProbe never writes over a database/);
    const app = new NeuroProbeApp(join(dir, 'X.db'), { mustExist: true });
    expect(app.runs()).toHaveLength(1);
    app.close();
    expect(statSync(join(dir, 'X.db')).size).toBeGreaterThanOrEqual(size);

    writeFileSync(join(dir, 'notes.csv'), 'my notes\n');
    const refused = await cli(['export', '1', '--format', 'csv', '--out', 'notes.csv', '--db', 'X.db'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--out notes\.csv already exists; add --force to replace it/);
    expect(readFileSync(join(dir, 'notes.csv'), 'utf8')).toBe('my notes\n');
    const forced = await cli(['export', '1', '--format', 'csv', '--out', 'notes.csv', '--db', 'X.db', '--force'], dir);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'notes.csv'), 'utf8')).toMatch(/^"# NeuroProbe run 1/);
    const noFolder = await cli(['export', '1', '--format', 'csv', '--out', 'nowhere/x.csv', '--db', 'X.db'], dir);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toMatch(/cannot write nowhere\/x\.csv: its folder does not exist \(nothing was written\)/);
  });

  it('a run without --station says first that it uses the simulated bench, and every card says simulated', async () => {
    const dir = tempDir();
    const r = await cli(['run', 'ltp-ltd', '--set', 'cycles=1', '--device', 'W3-D17'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toMatch(/no --station given: using the built-in SIMULATED bench/);
    expect(r.stderr).toMatch(/running ltp-ltd v1\.1\.0 on W3-D17 \(simulated KEITHLEY INSTRUMENTS MODEL 2450\)/);
    expect(r.stdout).toMatch(/source: SIMULATED bench data \(not a measurement\)/);
    const md = await cli(['card', '1', '--format', 'md'], dir);
    expect(md.stdout).toMatch(/\*\*Source:\*\* SIMULATED bench data/);
    expect((await cli(['card', '1', '--format', 'html', '--out', 'c.html'], dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'c.html'), 'utf8')).toMatch(/<p class="source simulated"><b>Source:<\/b> SIMULATED bench data/);
    const json = JSON.parse((await cli(['show', '1', '--json'], dir)).stdout);
    expect(json.source).toBe('simulated');
  });
});

describe('a closed output pipe during a run', () => {
  it('aborts the run safely instead of dying with the source on', async () => {
    const dir = tempDir();
    const { sim, station } = await pacedTcpBench(dir);
    const child = spawnCli(['run', 'endurance', '--station', station, '--set', 'cyclesPerTrain=1000', '--db', 'p.db'], dir);
    await waitFor(child, 'stderr', /running endurance/);
    await sleep(300);
    expect(sim.smu.isTriggerRunning).toBe(true);
    child.stderr!.destroy(); // the terminal or the pipe's reader went away; the next progress line fails
    child.stdout!.destroy();
    expect(await exited(child)).toBe(130);
    expect(sim.smu.isTriggerRunning).toBe(false);
    expect(sim.smu.isOutputOn).toBe(false);
    const app = new NeuroProbeApp(join(dir, 'p.db'), { mustExist: true });
    const run = app.run(1);
    app.close();
    expect(run.status).toBe('aborted');
    expect(run.endReason).toMatch(/^aborted by output closed \(EPIPE\)/);
  }, 20_000);
});
