// `neuroprobe sim`: the simulated bench on loopback TCP until interrupted: the SMU (2450,
// 2400 or B2902A, --smu), the
// 33522B and an InfiniiVision scope (SCPI), and an Elliptec ELL14 rotation stage (its ASCII protocol on a raw
// socket, and with --pty on a pseudo-terminal made by socat, like a USB-serial stage).
// `--json` prints one readiness line naming every instrument and where to reach it.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitElliptec } from '../drivers/instruments/stage/elliptec-protocol.ts';
import { splitApt } from '../drivers/instruments/stage/apt-protocol.ts';
import { SimBench, type SimSmuModel } from '../drivers/sim/bench.ts';
import { simBenchConfig, simulatedStation } from '../protocols/station.ts';
import { serveInstrument } from '../drivers/sim/tcp-server.ts';
import { type Vxi11Server, serveVxi11 } from '../drivers/sim/vxi11-server.ts';
import type { Fault } from '../drivers/sim/faults.ts';

export interface SimServeOptions {
  json?: boolean;
  /** Also offer the stages on pseudo-terminals (needs socat). */
  pty?: boolean;
  /** Also serve the SCPI instruments over VXI-11 (portmapper on port 111). */
  vxi11?: boolean;
  /** Which SMU family drives the device (served on `port`). */
  smu?: SimSmuModel;
}

const SMU_NAMES: Record<SimSmuModel, string> = { keithley2450: 'Keithley 2450', keithley2400: 'Keithley 2400', keithley2600b: 'Keithley 2602B', 'keysight-b2900': 'Keysight B2902A' };

export async function serveSimulatedBench(port: number, seed: number, realTimeFactor?: number, faults: Fault[] = [], opts: SimServeOptions = {}): Promise<void> {
  // The built-in bench's device and wiring (generator channel 2 gates the laser; the stage turns its polarizer).
  const smuModel = opts.smu ?? 'keithley2450';
  const bench = new SimBench({ ...simBenchConfig(simulatedStation({ seed })), realTimeFactor, faults, smuModel });
  const smu = await serveInstrument(bench.instrument(smuModel), port);
  const gen = await serveInstrument(bench.instrument('keysight33500b'), port === 0 ? 0 : port + 1);
  const scope = await serveInstrument(bench.scope, port === 0 ? 0 : port + 3);
  const stage = await serveInstrument(bench.stage, port === 0 ? 0 : port + 2, '127.0.0.1', { split: (x) => splitElliptec(x), replyTerminator: '\r\n' });
  const apt = await serveInstrument(bench.k10cr1, port === 0 ? 0 : port + 4, '127.0.0.1', { split: (x) => splitApt(x), replyTerminator: '' });
  const crlfLines = (x: string) => {
    const parts = x.split('\n');
    return { commands: parts.slice(0, -1).map((l) => l.replace(/\r$/, '')), rest: parts[parts.length - 1] };
  };
  const conex = await serveInstrument(bench.conex, port === 0 ? 0 : port + 5, '127.0.0.1', { split: crlfLines, replyTerminator: '\r\n' });
  const socats: ChildProcess[] = [];
  const ptys: Record<string, string> = {};
  if (opts.pty) {
    const dir = mkdtempSync(join(tmpdir(), 'neuroprobe-sim-'));
    for (const [name, p] of [['ttyELL14', stage.port], ['ttyK10CR1', apt.port], ['ttyCONEX', conex.port]] as const) {
      const path = join(dir, name);
      const socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, `tcp:127.0.0.1:${p}`], { stdio: 'ignore' });
      socat.on('error', () => undefined);
      socats.push(socat);
      for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
      if (!existsSync(path)) throw new Error('--pty: socat did not create the pseudo-terminal (is socat installed?)');
      ptys[name] = path;
    }
  }
  const vxi: Vxi11Server | null = opts.vxi11 ? await serveVxi11({ inst0: bench.instrument(smuModel), inst1: bench.instrument('keysight33500b'), inst2: bench.scope }) : null;
  const vxiResource = (n: number) => (vxi ? { vxi11: `TCPIP0::127.0.0.1::inst${n}::INSTR` } : {});
  const ptyPath = ptys.ttyELL14 ?? null;
  const aptPty = ptys.ttyK10CR1 ?? null;
  const conexPty = ptys.ttyCONEX ?? null;
  // Listen for the stop signals before announcing readiness: a supervisor may signal
  // as soon as it reads the announcement.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    process.once('SIGHUP', () => resolve());
  });
  const instruments = [
    { model: smuModel, role: 'source-meter', resource: `TCPIP0::127.0.0.1::${smu.port}::SOCKET`, ...vxiResource(0) },
    { model: 'keysight33500b', role: 'pulse-generator', resource: `TCPIP0::127.0.0.1::${gen.port}::SOCKET`, ...vxiResource(1) },
    { model: 'keysight-infiniivision', role: 'oscilloscope', resource: `TCPIP0::127.0.0.1::${scope.port}::SOCKET`, ...vxiResource(2) },
    { model: 'thorlabs-ell14', role: 'rotation-stage', resource: `TCPIP0::127.0.0.1::${stage.port}::SOCKET`, protocol: 'elliptec-ascii', ...(ptyPath ? { pty: ptyPath, serial: `ASRL${ptyPath}::INSTR` } : {}) },
    { model: 'thorlabs-k10cr1', role: 'rotation-stage', resource: `TCPIP0::127.0.0.1::${apt.port}::SOCKET`, protocol: 'thorlabs-apt', ...(aptPty ? { pty: aptPty, serial: `ASRL${aptPty}::INSTR` } : {}) },
    { model: 'newport-conex-agp', role: 'rotation-stage', resource: `TCPIP0::127.0.0.1::${conex.port}::SOCKET`, protocol: 'newport-ascii', ...(conexPty ? { pty: conexPty, serial: `ASRL${conexPty}::INSTR` } : {}) },
  ];
  if (opts.json) process.stdout.write(JSON.stringify({ ready: true, seed, instruments }) + '\n');
  else process.stdout.write(
    `simulated bench (seed ${seed}${realTimeFactor ? `, trains at ${realTimeFactor}× real time` : ''}${faults.length ? `, faults: ${faults.map((f) => `${f.kind} from train ${f.atTrain}`).join(', ')}` : ''}) listening on 127.0.0.1:\n` +
      `  ${SMU_NAMES[smuModel].padEnd(17)} TCPIP0::127.0.0.1::${smu.port}::SOCKET\n` +
      `  Keysight 33522B   TCPIP0::127.0.0.1::${gen.port}::SOCKET\n` +
      `  InfiniiVision     TCPIP0::127.0.0.1::${scope.port}::SOCKET (scope: device V on CH1, current ×10⁴ V/A on CH2)\n` +
      `  Elliptec ELL14    TCPIP0::127.0.0.1::${stage.port}::SOCKET (Elliptec ASCII)${ptyPath ? `, serial ASRL${ptyPath}::INSTR` : ''}\n` +
      `  Thorlabs K10CR1   TCPIP0::127.0.0.1::${apt.port}::SOCKET (APT binary)${aptPty ? `, serial ASRL${aptPty}::INSTR` : ''}\n` +
      `  Newport CONEX-AGP TCPIP0::127.0.0.1::${conex.port}::SOCKET (ASCII)${conexPty ? `, serial ASRL${conexPty}::INSTR` : ''}\n` +
      (vxi ? `  VXI-11            TCPIP0::127.0.0.1::inst0::INSTR (${SMU_NAMES[smuModel]}), inst1 (33522B), inst2 (scope); portmapper on port ${vxi.portmapperPort}\n` : '') +
      `Ctrl-C to stop.\n`,
  );
  await stopped;
  bench.sourceMeter.forceOutputOff();
  bench.generator.forceOutputsOff();
  for (const socat of socats) socat.kill();
  await Promise.all([smu.close(), gen.close(), scope.close(), stage.close(), apt.close(), conex.close(), vxi?.close()]);
  process.stdout.write('simulated bench stopped\n');
}
