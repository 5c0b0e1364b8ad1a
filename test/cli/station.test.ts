// Station tooling: a template to start from, and `station check` against instruments on
// loopback — the right models, a wrong one at an address, and an output left on.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimBench } from '../../drivers/sim/bench.ts';
import { SimKeysight33500B } from '../../drivers/sim/keysight33500b.ts';
import { type SimServer, serveInstrument } from '../../drivers/sim/tcp-server.ts';
import { parseStation } from '../../protocols/station.ts';
import { cli } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/temp.ts';

const tempDir = useTempDir();
const servers: SimServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

describe('station tooling', () => {
  it('station init writes a template that parses; instruments lists the models', async () => {
    const dir = tempDir();
    const r = await cli(['station', 'init', '--out', 'st.json'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/192\.0\.2\.x are placeholders/);
    const st = parseStation(JSON.parse(readFileSync(join(dir, 'st.json'), 'utf8')), 'template');
    expect(st.instruments.map((i) => i.model)).toEqual(['keithley2450', 'keysight33500b', 'thorlabs-ell14', 'keysight-infiniivision']);
    expect(st.wiring.oscilloscope?.currentChannel).toBe(2);
    expect(st.wiring.lightSource?.channel).toBe(2);
    expect(st.wiring.rotationStage?.instrument).toBe('stage');
    expect((await cli(['station', 'init', '--out', 'st.json'], dir)).code).toBe(2); // exists: --force needed
    const list = await cli(['instruments'], dir);
    expect(list.stdout).toMatch(/^keithley2450\s+source-meter/m);
    expect(list.stdout).toMatch(/^thorlabs-ell14\s+rotation-stage/m);
    expect(list.stdout).toMatch(/light-source/);
  });

  it('station check: ok for the declared models, WARN for an output left on, FAILED for the wrong model at an address', async () => {
    const dir = tempDir();
    const bench = new SimBench({ seed: 1 });
    const smu = await serveInstrument(bench.smu, 0);
    const gen = await serveInstrument(bench.generator, 0);
    const stranger = await serveInstrument(new SimKeysight33500B(), 0);
    servers.push(smu, gen, stranger);
    const station = (smuPort: number) => ({
      name: 'LAN bench',
      instruments: [
        { id: 'smu', model: 'keithley2450', resource: `TCPIP0::127.0.0.1::${smuPort}::SOCKET`, role: 'source-meter' },
        { id: 'awg', model: 'keysight33500b', resource: `TCPIP0::127.0.0.1::${gen.port}::SOCKET`, role: 'pulse-generator' },
      ],
      wiring: { sourceMeter: 'smu', pulseGenerator: { instrument: 'awg', channel: 1, trigger: 'smu-digital-line-1' } },
      limits: { maxAbsVoltageV: 3, maxAbsCurrentA: 0.005, complianceA: 0.001, minPulseWidthS: 1e-7 },
    });
    writeFileSync(join(dir, 'good.json'), JSON.stringify(station(smu.port)));
    const good = await cli(['station', 'check', 'good.json'], dir);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ok\s+smu \(TCPIP0::127\.0\.0\.1::\d+::SOCKET\): simulated KEITHLEY INSTRUMENTS MODEL 2450; output off; mains 50 Hz, firmware 1\.7\.12b, options 0; error queue empty$/m);
    expect(good.stdout).toMatch(/^ok\s+awg .*: simulated Keysight Technologies 33522B; outputs off; firmware [\d.-]+, options 0; error queue empty$/m);
    expect(good.stdout).toMatch(/all instruments answer, as declared, with their outputs off/);

    bench.smu.handleMessage(':OUTP ON');
    // A 60 Hz mains and a left-over error are reported as they are.
    bench.smu.lineFrequencyHz = 60;
    bench.generator.handleMessage(':NOT:A:COMMAND');
    const on = await cli(['station', 'check', 'good.json'], dir);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^WARN\s+smu .*; output ON; mains 60 Hz, /m);
    expect(on.stdout).toMatch(/^WARN\s+awg .*; error queue held -113,"Undefined header"$/m);
    expect(on.stdout).toMatch(/1 with an output on \(`neuroprobe safe-off good\.json` switches them off\)/);
    expect(bench.smu.isOutputOn).toBe(true); // a check changes nothing

    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(station(stranger.port)));
    const wrong = await cli(['station', 'check', 'wrong.json'], dir);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^FAILED\s+smu .*\*IDN\? answered "Keysight Technologies,33522B,.*", which is not a Keithley 2450/m);
    expect(wrong.stdout).toMatch(/1 instrument\(s\) not ready/);
  }, 60_000);
});
