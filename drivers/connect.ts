// Opens an instrument from its resource string and model: picks the transport
// (simulated bench in-process, raw TCP socket, …) and wraps it in the role driver.

import { Keysight33500B } from './instruments/pulsegen/keysight33500b.ts';
import type { Instrument } from './instruments/roles.ts';
import { Keithley2450 } from './instruments/smu/keithley2450.ts';
import type { SimBench } from './sim/bench.ts';
import { LoopbackTransport } from './transport/loopback.ts';
import { parseResource } from './transport/resource.ts';
import { PyVisaBridgeTransport } from './transport/pyvisa-bridge.ts';
import { SerialTransport } from './transport/serial.ts';
import { TcpTransport } from './transport/tcp.ts';
import type { Transport } from './transport/transport.ts';

export const DRIVER_MODELS = ['keithley2450', 'keysight33500b'] as const;
export type DriverModel = (typeof DRIVER_MODELS)[number];

export interface ConnectOptions {
  /** The in-process simulated bench that `SIM::` resources talk to. */
  sim?: SimBench;
  timeoutMs?: number;
  /** Route even a raw socket through PyVISA (station `"transport": "pyvisa"`). */
  viaPyvisa?: boolean;
  /** Serial line speed for `ASRL` resources. */
  baudRate?: number;
}

export async function openTransport(resource: string, opts: ConnectOptions = {}): Promise<Transport> {
  const d = parseResource(resource);
  if (opts.viaPyvisa && d.kind !== 'sim') return PyVisaBridgeTransport.open(resource, { timeoutMs: opts.timeoutMs });
  switch (d.kind) {
    case 'sim':
      if (!opts.sim) throw new Error(`${resource}: no simulated bench is running in this process`);
      return new LoopbackTransport(resource, opts.sim.instrument(d.model));
    case 'tcp-socket':
      return TcpTransport.connect(resource, { host: d.host, port: d.port, timeoutMs: opts.timeoutMs, connectTimeoutMs: opts.timeoutMs });
    case 'vxi11':
    case 'gpib':
    case 'usb':
      return PyVisaBridgeTransport.open(resource, { timeoutMs: opts.timeoutMs });
    case 'serial':
      return SerialTransport.open(resource, { path: d.path, baudRate: opts.baudRate, timeoutMs: opts.timeoutMs });
  }
}

export function createDriver(model: DriverModel, transport: Transport): Instrument {
  return model === 'keithley2450' ? new Keithley2450(transport) : new Keysight33500B(transport);
}
