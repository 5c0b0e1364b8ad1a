import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { useTempDir } from '../helpers/temp.ts';
import { writePacedSimStation } from '../helpers/stations.ts';
import { syntheticLtpLtdCsv } from '../helpers/synthetic.ts';

const BIN = fileURLToPath(new URL('../../cli/neuroprobe.mjs', import.meta.url));
const tempDir = useTempDir();
const exec = promisify(execFile);

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], { cwd, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${text}; exit ${child.exitCode} ${child.signalCode}`)), 10_000);
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

describe('neuroprobe command', () => {
  it('demo stores a run in ./neuroprobe.db and show --json prints the same card', async () => {
    const dir = tempDir();
    const demo = await cli(['demo'], dir);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/Benchmark card — device SIM-D1, ltp-ltd v1\.1\.0, run 1 \(completed\)/);
    expect(demo.stdout).toMatch(/nl\.lsq3:ltp\s+2\.\d+/);
    expect(existsSync(join(dir, 'neuroprobe.db'))).toBe(true);

    const shown = await cli(['show', '1', '--json'], dir);
    expect(shown.code).toBe(0);
    const card = JSON.parse(shown.stdout);
    expect(card.schema).toBe('neuroprobe.benchmark-card');
    const app = new NeuroProbeApp(join(dir, 'neuroprobe.db'), { mustExist: true });
    expect(card).toEqual(JSON.parse(JSON.stringify(app.card(1))));
    app.close();
    expect(card.metrics.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(['nl.lsq3', 'nl.neurosim-manual', 'dr.ratio', 'dr.percent', 'states.pulses', 'states.distinct', 'c2c.step_range', 'c2c.step_rel', 'cv.state']));

    const runs = await cli(['runs'], dir);
    expect(runs.stdout).toMatch(/^1\s+SIM-D1\s+ltp-ltd v1\.1\.0\s+completed/m);
    const csv = await cli(['export', '1', '--format', 'csv'], dir);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[2]).toBe('t_s [s],i_read_A [A],v_read_V [V],cycle [1],phase [1],pulse [1]');
    expect(lines.length).toBe(3 + 10 + 1010); // header lines, read-noise reads, 5 cycles
  });

  it('run takes --set parameters and a station file', async () => {
    const dir = tempDir();
    const station = join(dir, 'st.json');
    writeFileSync(
      station,
      JSON.stringify({
        name: 'sim with a wider device',
        instruments: [{ id: 'smu', model: 'keithley2450', resource: 'SIM::keithley2450', role: 'source-meter' }],
        wiring: { sourceMeter: 'smu' },
        limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 5e-3, complianceA: 1e-3, minPulseWidthS: 1e-6 },
        simulation: { seed: 4, device: { gMaxS: 200e-6, pulsesToSpan: 40 } },
      }),
    );
    const r = await cli(['run', 'ltp-ltd', '--station', station, '--set', 'cycles=2', '--set', 'pulsesPerTrain=40', '--json', '--db', 'x.db'], dir);
    expect(r.code).toBe(0);
    const card = JSON.parse(r.stdout);
    expect(card.conditions.cycles).toBe(2);
    expect(card.conditions.pulses_per_train).toBe(40);
    const dr = card.metrics.find((m: { id: string; qualifier?: string }) => m.id === 'dr.ratio' && m.qualifier === 'ltp');
    expect(dr.value).toBeGreaterThan(12); // Gmax/Gmin = 20 with this device
  });

  it('bad input gets one clear line and a non-zero exit, never a stack trace', async () => {
    const dir = tempDir();
    const cases: [string[], number, RegExp][] = [
      [['run', 'ltp-ltd', '--set', 'cycles=abc'], 2, /cycles: "abc" is not a number/],
      [['run', 'ltp-ltd', '--set', 'bogus=1'], 2, /unknown parameter "bogus" for ltp-ltd/],
      [['run', 'ltp-ltd', '--set', 'pulsesPerTrain=1'], 2, /pulsesPerTrain = 1 pulses is below the minimum 4 pulses/],
      [['run', 'ltp-ltd', '--set', 'depressionAmplitudeV=-9'], 2, /depressionAmplitudeV = -9 V exceeds the device limit/],
      [['run', 'nosuch'], 1, /unknown protocol "nosuch"; available: ltp-ltd/],
      [['run', 'ltp-ltd', '--station', 'missing.json'], 2, /cannot read station file missing.json: ENOENT/],
      [['show', '1'], 1, /database neuroprobe.db does not exist/],
      [['show', 'x1'], 2, /run id "x1" is not a positive whole number/],
      [['export', '1', '--format', 'xml'], 1, /argument 'xml' is invalid/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(args, dir);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).not.toMatch(/^\s+at /m);
    }
    await cli(['demo', '--db', 'd.db'], dir);
    const unknownRun = await cli(['show', '9', '--db', 'd.db'], dir);
    expect(unknownRun.code).toBe(1);
    expect(unknownRun.stderr.trim()).toBe('neuroprobe: run 9 does not exist in this database (runs are 1..1)');
    writeFileSync(join(dir, 'junk.db'), 'not sqlite at all, just some text that is long enough to matter'.repeat(4));
    const junk = await cli(['runs', '--db', 'junk.db'], dir);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/cannot open database junk.db: file is not a database/);
  });

  it('sim serves the bench on loopback TCP and stops on SIGTERM', async () => {
    const child = spawn('node', [BIN, 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const out = await waitFor(child, 'stdout', /Keysight 33522B\s+TCPIP0::127\.0\.0\.1::\d+::SOCKET/);
      expect(out).toMatch(/Keithley 2450\s+TCPIP0::127\.0\.0\.1::\d+::SOCKET/);
      const stopped = waitFor(child, 'stdout', /simulated bench stopped/);
      child.kill('SIGTERM');
      await stopped;
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('SIGINT during a run drives the outputs safe and stores the run as aborted', async () => {
    const dir = tempDir();
    const child = spawn('node', [BIN, 'run', 'ltp-ltd', '--set', 'cycles=100000', '--db', 'sig.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(child, 'stderr', /running ltp-ltd v1\.1\.0 on SIM-D1/);
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const app = new NeuroProbeApp(join(dir, 'sig.db'), { mustExist: true });
    const run = app.run(1);
    app.close();
    expect(run.status).toBe('aborted');
    expect(run.endReason).toBe('aborted by SIGINT');
    expect(run.samples).toBeGreaterThan(0);
    expect((run.samples - 10) % 101).toBe(0); // 10 read-noise reads, then whole trains
  });
});

describe('neuroprobe analysis commands', () => {
  it('import, analyze, card, compare and export-model work from the command line', async () => {
    const dir = tempDir();
    // A nearly linear device (NL label below 1), so it fails the pass criterion below.
    writeFileSync(join(dir, 'lab_ramp.csv'), syntheticLtpLtdCsv(20, -0.3, 100, 3));
    const imp = await cli(['import', 'lab_ramp.csv', '--as', 'ltp-ltd', '--db', 'a.db'], dir);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/device lab_ramp, imported v1\.0\.0, run 1/);
    await cli(['run', 'ltp-ltd', '--set', 'cycles=3', '--db', 'a.db', '--device', 'W1-D4', '--sim-device', '4'], dir);
    const re = await cli(['analyze', '2', '--set', 'skipCycles=1', '--db', 'a.db', '--json'], dir);
    expect(re.code).toBe(0);
    expect(JSON.parse(re.stdout).analysisVersion).toMatch(/\+skipCycles=1/);
    const html = await cli(['card', '2', '--format', 'html', '--out', 'c.html', '--db', 'a.db'], dir);
    expect(html.code).toBe(0);
    expect(existsSync(join(dir, 'c.html'))).toBe(true);
    const md = await cli(['card', '1', '2', '--db', 'a.db'], dir);
    expect(md.stdout.match(/^# Benchmark card/gm)?.length).toBe(2);
    const cmp = await cli(['compare', '1', '2', '--with-reference', '--pass', 'nl.lsq3:ltp>=1', '--db', 'a.db'], dir);
    expect(cmp.stdout).toMatch(/\| W1-D4 \|/);
    // Imported and simulated runs are kept apart: each group's yield on its own (gong fails, W1-D4 passes)…
    expect(cmp.stdout).toMatch(/### SIMULATED bench data \(not a measurement\)\n\n\*\*Yield:\*\* 100 %[\s\S]*### imported from a file\n\n\*\*Yield:\*\* 0 %/);
    expect(cmp.stdout).toMatch(/\| NeuroProbe run 2 \(simulated\) \|/);
    // …unless pooling is asked for.
    const pooled = await cli(['compare', '1', '2', '--pass', 'nl.lsq3:ltp>=1', '--pool-sources', '--db', 'a.db'], dir);
    expect(pooled.stdout).toMatch(/All sources pooled[\s\S]*\*\*Yield:\*\* 50 %/);
    const model = await cli(['export-model', '2', '--to', 'neurosim', '--db', 'a.db'], dir);
    expect(JSON.parse(model.stdout).format).toBe('neuroprobe.neurosim-device');
    const badPass = await cli(['compare', '1', '--pass', 'dr.ratio:ltp>two', '--db', 'a.db'], dir);
    expect(badPass.code).toBe(2);
    expect(badPass.stderr).toMatch(/--pass: "dr\.ratio:ltp>two" is not of the form metric>=value/);
    const badCsv = await cli(['import', 'nofile.csv', '--as', 'stdp', '--db', 'a.db'], dir);
    expect(badCsv.code).toBe(2);
    expect(badCsv.stderr.trim()).toBe('neuroprobe: cannot read nofile.csv: ENOENT');
  });
});

describe('crash and resume', () => {
  it('a run killed mid-way is interrupted at next open and `resume` completes it', async () => {
    const dir = tempDir();
    const station = writePacedSimStation(dir, 2, 50);
    const child = spawn('node', [BIN, 'run', 'ltp-ltd', '--station', station, '--set', 'cycles=40', '--db', 'crash.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(child, 'stderr', /running ltp-ltd/);
    await new Promise((r) => setTimeout(r, 800));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL'); // no chance to clean up: a crash
    await exited;

    const runs = await cli(['runs', '--db', 'crash.db'], dir);
    expect(runs.stdout).toMatch(/^1\s+SIM-D1\s+ltp-ltd v1\.1\.0\s+interrupted/m);
    const resumed = await cli(['resume', '1', '--db', 'crash.db', '--json'], dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/run 1 completed: every step done \(resumed from checkpoint/);
    const card = JSON.parse(resumed.stdout);
    expect(card.runStatus).toBe('completed');
    expect(card.conditions.cycles).toBe(40);
    const again = await cli(['resume', '1', '--db', 'crash.db'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/run 1 is completed; only interrupted, aborted or failed runs can be resumed/);
  });
});

describe('finding runs, comparing devices, models for aihwkit', () => {
  it('runs filters by device, protocol, status, source and date, and prints JSON', async () => {
    const dir = tempDir();
    await cli(['run', 'ltp-ltd', '--set', 'cycles=1', '--device', 'W3-D1', '--db', 'f.db'], dir);
    await cli(['run', 'endurance', '--set', 'cycles=200', '--set', 'cyclesPerTrain=100', '--device', 'W3-D1', '--db', 'f.db'], dir);
    await cli(['run', 'ltp-ltd', '--set', 'cycles=1', '--device', 'W4-D2', '--db', 'f.db'], dir);
    writeFileSync(join(dir, 'ret.csv'), 't_s,g\n1,5e-5\n10,4.8e-5\n100,4.6e-5\n1000,4.5e-5\n10000,4.45e-5\n');
    await cli(['import', 'ret.csv', '--as', 'retention', '--g-before', '1e-5', '--db', 'f.db'], dir);
    const ids = async (...args: string[]) => JSON.parse((await cli(['runs', '--json', '--db', 'f.db', ...args], dir)).stdout).map((r: { id: number }) => r.id);
    expect(await ids()).toEqual([1, 2, 3, 4]);
    expect(await ids('--device', 'W3-*')).toEqual([1, 2]);
    expect(await ids('--protocol', 'ltp-ltd')).toEqual([1, 3]);
    expect(await ids('--source', 'imported')).toEqual([4]);
    expect(await ids('--source', 'simulated', '--status', 'completed')).toEqual([1, 2, 3]);
    expect(await ids('--since', '2000-01-01', '--until', new Date(Date.now() + 86_400_000).toISOString().slice(0, 10))).toEqual([1, 2, 3, 4]);
    expect(await ids('--until', '2000-01-01')).toEqual([]);
    const bad = await cli(['runs', '--since', 'yesterday', '--db', 'f.db'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since "yesterday" is not a date/);

    // One row per device: W3-D1's LTP/LTD and endurance runs make one Table-3 row.
    const cmp = await cli(['compare', '1', '2', '3', '--by-device', '--db', 'f.db'], dir);
    const rows = cmp.stdout.split('\n').filter((l) => /^\| W\d-D\d /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\| W3-D1 \| \d\.\d+\/-\d\.\d+ \| [\d.]+ \(LTP\) [\d.]+ \(LTD\) \| [≥\d]/);
    expect(rows[0]).toMatch(/NeuroProbe run 1, 2 \(simulated\)/);
  }, 180_000);

  it('export-model --format python writes a snippet that builds the aihwkit devices', async () => {
    const dir = tempDir();
    await cli(['run', 'ltp-ltd', '--set', 'cycles=3', '--db', 'm.db'], dir);
    const r = await cli(['export-model', '1', '--to', 'aihwkit', '--format', 'python', '--out', 'device.py', '--db', 'm.db'], dir);
    expect(r.code).toBe(0);
    // A stand-in for aihwkit's classes that records what the snippet passes (aihwkit itself is not installed here).
    const stub = join(dir, 'stub', 'aihwkit', 'simulator', 'configs');
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(dir, 'stub', 'aihwkit', '__init__.py'), '');
    writeFileSync(join(dir, 'stub', 'aihwkit', 'simulator', '__init__.py'), '');
    writeFileSync(
      join(stub, '__init__.py'),
      [
        'from dataclasses import dataclass, field',
        '@dataclass',
        'class SoftBoundsPmaxDevice:',
        '    p_max: int = 1000', '    alpha: float = 0.0005', '    range_min: float = -1.0', '    range_max: float = 1.0',
        '@dataclass',
        'class PiecewiseStepDevice:',
        '    w_min: float = -1.0', '    w_max: float = 1.0', '    dw_min: float = 0.001', '    dw_min_std: float = 0.3',
        '    piecewise_up: list = field(default_factory=lambda: [1])', '    piecewise_down: list = field(default_factory=lambda: [1])',
        '@dataclass',
        'class SingleRPUConfig:',
        '    device: object = None',
      ].join('\n'),
    );
    const check = `exec(open('device.py').read())\nimport json\nprint(json.dumps({'p_max': rpu_config.device.p_max, 'type_p': type(rpu_config.device.p_max).__name__, 'alpha': rpu_config.device.alpha, 'up': len(rpu_config_piecewise.device.piecewise_up), 'down': len(rpu_config_piecewise.device.piecewise_down)}))`;
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', check], { cwd: dir, env: { ...process.env, PYTHONPATH: join(dir, 'stub') } });
    const got = JSON.parse(stdout);
    const json = JSON.parse((await cli(['export-model', '1', '--to', 'aihwkit', '--db', 'm.db'], dir)).stdout);
    expect(got).toEqual({ p_max: json.softBoundsPmax.p_max, type_p: 'int', alpha: json.softBoundsPmax.alpha, up: 11, down: 11 });
    const neurosimPy = await cli(['export-model', '1', '--to', 'neurosim', '--format', 'python', '--db', 'm.db'], dir);
    expect(neurosimPy.code).toBe(2);
  }, 120_000);
});
