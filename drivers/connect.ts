// Opens an instrument from its resource string and model: picks the transport
// (simulated bench in-process, raw TCP socket, …) and wraps it in the role driver.

import { Keysight33500B } from './instruments/pulsegen/keysight33500b.ts';
import type { Instrument, InstrumentRole } from './instruments/roles.ts';
import { ElliptecStage, type ElliptecOptions } from './instruments/stage/elliptec.ts';
import { InfiniiVision } from './instruments/scope/infiniivision.ts';
import { TektronixAfg31000 } from './instruments/pulsegen/tektronix-afg31000.ts';
import { Keysight81160A } from './instruments/pulsegen/keysight81160a.ts';
import { K10cr1Stage } from './instruments/stage/k10cr1.ts';
import { ConexAgpStage } from './instruments/stage/conex-agp.ts';
import { aptFrameLength } from './instruments/stage/apt-protocol.ts';
import type { Framer } from './transport/line-reader.ts';
import { Keithley2450 } from './instruments/smu/keithley2450.ts';
import { Keithley2400 } from './instruments/smu/keithley2400.ts';
import { KeysightB2900 } from './instruments/smu/keysight-b2900.ts';
import { Keithley2600B } from './instruments/smu/keithley2600b.ts';
import type { SimBench } from './sim/bench.ts';
import { LoopbackTransport } from './transport/loopback.ts';
import { parseResource } from './transport/resource.ts';
import { PyVisaBridgeTransport } from './transport/pyvisa-bridge.ts';
import { SerialTransport } from './transport/serial.ts';
import { TcpTransport } from './transport/tcp.ts';
import type { Transport } from './transport/transport.ts';

export const DRIVER_MODELS = ['keithley2450', 'keithley2400', 'keithley2600b', 'keysight-b2900', 'keysight33500b', 'tektronix-afg31000', 'keysight-81160a', 'thorlabs-ell14', 'thorlabs-k10cr1', 'newport-conex-agp', 'keysight-infiniivision'] as const;
export type DriverModel = (typeof DRIVER_MODELS)[number];

/** The role each model plays on a bench. */
export const ROLE_OF_MODEL: Record<DriverModel, InstrumentRole> = {
  keithley2450: 'source-meter',
  keithley2400: 'source-meter',
  keithley2600b: 'source-meter',
  'keysight-b2900': 'source-meter',
  keysight33500b: 'pulse-generator',
  'tektronix-afg31000': 'pulse-generator',
  'keysight-81160a': 'pulse-generator',
  'thorlabs-ell14': 'rotation-stage',
  'thorlabs-k10cr1': 'rotation-stage',
  'newport-conex-agp': 'rotation-stage',
  'keysight-infiniivision': 'oscilloscope',
};

/**
 * How messages are framed on a byte stream, and the serial line a model expects: SCPI ends
 * commands and replies with LF; Elliptec commands have no terminator and replies end CR LF
 * (9600 8N1); APT messages are binary, cut by their header (115200 8N1, RTS/CTS).
 */
const FRAMING: Record<DriverModel, { read: string; write: string; framer?: Framer; baudRate: number; rtscts?: boolean; xonxoff?: boolean }> = {
  'newport-conex-agp': { read: '\r\n', write: '\r\n', baudRate: 921600, xonxoff: true },
  keithley2450: { read: '\n', write: '\n', baudRate: 9600 },
  // The 2400's RS-232 default is not stated in any source read; 9600 is a common setting.
  keithley2400: { read: '\n', write: '\n', baudRate: 9600 },
  'keysight-b2900': { read: '\n', write: '\n', baudRate: 9600 },
  // TSP lines end with LF like SCPI; the 2600B's RS-232 default is not stated in any source read.
  keithley2600b: { read: '\n', write: '\n', baudRate: 9600 },
  keysight33500b: { read: '\n', write: '\n', baudRate: 9600 },
  'tektronix-afg31000': { read: '\n', write: '\n', baudRate: 9600 },
  'keysight-81160a': { read: '\n', write: '\n', baudRate: 9600 },
  'thorlabs-ell14': { read: '\r\n', write: '', baudRate: 9600 },
  'thorlabs-k10cr1': { read: '', write: '', framer: aptFrameLength, baudRate: 115200, rtscts: true },
  'keysight-infiniivision': { read: '\n', write: '\n', baudRate: 9600 },
};

export interface ConnectOptions {
  /** The in-process simulated bench that `SIM::` resources talk to. */
  sim?: SimBench;
  timeoutMs?: number;
  /** Route even a raw socket through PyVISA (station `"transport": "pyvisa"`). */
  viaPyvisa?: boolean;
  /** Serial line speed for `ASRL` resources. */
  baudRate?: number;
  /** The model at the other end (its message framing); SCPI framing when absent. */
  model?: DriverModel;
}

export async function openTransport(resource: string, opts: ConnectOptions = {}): Promise<Transport> {
  const d = parseResource(resource);
  const framing = FRAMING[opts.model ?? 'keithley2450'];
  if (opts.viaPyvisa && d.kind !== 'sim') return PyVisaBridgeTransport.open(resource, { timeoutMs: opts.timeoutMs });
  switch (d.kind) {
    case 'sim':
      if (!opts.sim) throw new Error(`${resource}: no simulated bench is running in this process`);
      return new LoopbackTransport(resource, opts.sim.instrument(d.model));
    case 'tcp-socket':
      return TcpTransport.connect(resource, { host: d.host, port: d.port, timeoutMs: opts.timeoutMs, connectTimeoutMs: opts.timeoutMs, terminator: framing.read, writeTerminator: framing.write, framer: framing.framer });
    case 'vxi11':
    case 'gpib':
    case 'usb':
      return PyVisaBridgeTransport.open(resource, { timeoutMs: opts.timeoutMs });
    case 'serial':
      return SerialTransport.open(resource, { path: d.path, baudRate: opts.baudRate ?? framing.baudRate, timeoutMs: opts.timeoutMs, terminator: framing.read, writeTerminator: framing.write, framer: framing.framer, rtscts: framing.rtscts, xonxoff: framing.xonxoff });
  }
}

export interface DriverOptions {
  /** 2600B: the channel on the device terminal (smua or smub). */
  smuChannel?: 'a' | 'b';
  /** Rotation stages: bus address, allowed travel, move timeout. */
  stage?: ElliptecOptions;
}

export function createDriver(model: DriverModel, transport: Transport, opts: DriverOptions = {}): Instrument {
  switch (model) {
    case 'keithley2450':
      return new Keithley2450(transport);
    case 'keithley2400':
      return new Keithley2400(transport);
    case 'keysight-b2900':
      return new KeysightB2900(transport);
    case 'keithley2600b':
      return new Keithley2600B(transport, opts.smuChannel);
    case 'keysight33500b':
      return new Keysight33500B(transport);
    case 'tektronix-afg31000':
      return new TektronixAfg31000(transport);
    case 'keysight-81160a':
      return new Keysight81160A(transport);
    case 'thorlabs-ell14':
      return new ElliptecStage(transport, opts.stage);
    case 'thorlabs-k10cr1':
      return new K10cr1Stage(transport, opts.stage);
    case 'newport-conex-agp':
      return new ConexAgpStage(transport, { ...opts.stage, address: opts.stage?.address ? parseInt(opts.stage.address, 16) : 1 });
    case 'keysight-infiniivision':
      return new InfiniiVision(transport);
  }
}
