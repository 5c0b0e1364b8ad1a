// `neuroprobe sim`: the simulated bench on loopback TCP until interrupted.

import { SimBench } from '../drivers/sim/bench.ts';
import { serveInstrument } from '../drivers/sim/tcp-server.ts';
import type { Fault } from '../drivers/sim/faults.ts';

export async function serveSimulatedBench(port: number, seed: number, realTimeFactor?: number, faults: Fault[] = []): Promise<void> {
  const bench = new SimBench({ seed, realTimeFactor, faults });
  const smu = await serveInstrument(bench.instrument('keithley2450'), port);
  const gen = await serveInstrument(bench.instrument('keysight33500b'), port === 0 ? 0 : port + 1);
  // Listen for the stop signals before announcing readiness: a supervisor may signal
  // as soon as it reads the announcement.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    process.once('SIGHUP', () => resolve());
  });
  process.stdout.write(
    `simulated bench (seed ${seed}${realTimeFactor ? `, trains at ${realTimeFactor}× real time` : ''}${faults.length ? `, faults: ${faults.map((f) => `${f.kind} from train ${f.atTrain}`).join(', ')}` : ''}) listening on 127.0.0.1:\n` +
      `  Keithley 2450     TCPIP0::127.0.0.1::${smu.port}::SOCKET\n` +
      `  Keysight 33522B   TCPIP0::127.0.0.1::${gen.port}::SOCKET\n` +
      `Ctrl-C to stop.\n`,
  );
  await stopped;
  bench.smu.forceOutputOff();
  bench.generator.forceOutputsOff();
  await Promise.all([smu.close(), gen.close()]);
  process.stdout.write('simulated bench stopped\n');
}
