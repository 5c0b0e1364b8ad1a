import { describe, expect, it } from 'vitest';
import { parsePattern, matchHeader, splitMessage } from '../../drivers/scpi/command-tree.ts';
import { SimBench } from '../../drivers/sim/bench.ts';

function smu() {
  return new SimBench({ seed: 3 }).smu;
}

describe('SCPI header matching', () => {
  it('accepts short, long and mixed-case forms and optional nodes', () => {
    const nodes = parsePattern(':SOURce#:VOLTage[:LEVel][:IMMediate][:AMPLitude]');
    for (const h of ['SOUR:VOLT', 'SOURCE:VOLTAGE', 'source1:voltage:level', 'SOURce:VOLTage:LEV:IMM:AMPL', 'sour:volt:ampl']) {
      expect(matchHeader(h.split(':'), nodes), h).not.toBeNull();
    }
    expect(matchHeader(['SOURC', 'VOLT'], nodes)).toBeNull(); // neither short nor long form
    expect(matchHeader(['SOUR', 'VOLT', 'FOO'], nodes)).toBeNull();
    expect(matchHeader(['SOUR2', 'VOLT'], nodes)).toEqual({ SOURCE: 2 });
  });

  it('splits program messages on ; outside quotes', () => {
    expect(splitMessage(':SENS:FUNC \'CURR\';:SENS:CURR:NPLC 1.000000;')).toEqual([":SENS:FUNC 'CURR'", ':SENS:CURR:NPLC 1.000000']);
    expect(splitMessage(':DISP:TEXT "a;b";*CLS')).toEqual([':DISP:TEXT "a;b"', '*CLS']);
  });
});

describe('simulated Keithley 2450 command parser', () => {
  it('answers *IDN? and joins several queries in one message with ;', () => {
    const s = smu();
    expect(s.handleMessage('*IDN?')).toMatch(/^KEITHLEY INSTRUMENTS,MODEL 2450,/);
    expect(s.handleMessage(':SOUR:VOLT 0.25;:SOUR:VOLT?;:OUTP?')).toBe('0.25;0');
  });

  it('treats the forms PyMeasure, QCoDeS and Tektronix send alike', () => {
    const s = smu();
    s.handleMessage('*RST;:*CLS;'); // PyMeasure's reset, less the 2400-only :stat:pres
    s.handleMessage(':SOURCE:FUNCTION VOLT');
    s.handleMessage('source:voltage:ilimit 0.002');
    expect(s.handleMessage(':SOUR:VOLT:ILIM?')).toBe('0.002');
    s.handleMessage(':SOUR:VOLT:ILIMIT 0.003');
    expect(s.handleMessage('SOURce1:VOLTage:ILIMit:LEVel?')).toBe('0.003');
    s.handleMessage(":SENS:FUNC 'CURR';:SENS:CURR:NPLC 0.5;");
    expect(s.handleMessage(':SENS:CURR:NPLC?')).toBe('0.5');
    expect(s.handleMessage(':SYST:ERR?')).toBe('0,"No error"');
  });

  it('resolves a header after ; relative to the previous one, as SCPI specifies', () => {
    const s = smu();
    s.handleMessage(':SENS:CURR:NPLC 2;RANG 1e-3');
    expect(s.handleMessage(':SENS:CURR:RANG?')).toBe('0.001');
    expect(s.handleMessage(':SYST:ERR?')).toBe('0,"No error"');
  });

  it('queues -113 for an unknown header and keeps executing the rest of the message', () => {
    const s = smu();
    s.handleMessage(':SOUR:BOGUS 1;:SOUR:VOLT 0.5');
    expect(s.handleMessage(':SOUR:VOLT?')).toBe('0.5');
    expect(s.handleMessage(':SYST:ERR:COUN?')).toBe('1');
    expect(s.handleMessage(':SYST:ERR?')).toBe('-113,"Undefined header"');
    expect(s.handleMessage(':SYST:ERR?')).toBe('0,"No error"');
  });

  it('queues a range error for a bad value and leaves the setting unchanged', () => {
    const s = smu();
    s.handleMessage(':SOUR:VOLT 1');
    s.handleMessage(':SOUR:VOLT 500');
    expect(s.handleMessage(':SOUR:VOLT?')).toBe('1');
    expect(s.handleMessage(':SYST:ERR?')).toMatch(/^-222,"Data out of range/);
    s.handleMessage(':SOUR:VOLT abc');
    expect(s.handleMessage(':SYST:ERR?')).toMatch(/^-104,"Data type error/);
    s.handleMessage(':OUTP MAYBE');
    expect(s.handleMessage(':SYST:ERR?')).toMatch(/^-224,"Illegal parameter value/);
    s.handleMessage(':SOUR:VOLT:RANG 2;:SOUR:VOLT 5');
    expect(s.handleMessage(':SYST:ERR?')).toMatch(/^-222,.*exceeds the 2 V range/);
  });

  it('measures I = G·V through the device, limited by the compliance', () => {
    const bench = new SimBench({ seed: 4, device: { readNoiseSigma: 0 } });
    const s = bench.smu;
    s.handleMessage(':SOUR:VOLT 0.1;:SOUR:VOLT:ILIM 1e-3;:OUTP ON');
    expect(Number(s.handleMessage(':MEAS:CURR?'))).toBeCloseTo(0.1 * bench.dut.conductanceS, 15);
    s.handleMessage(':SOUR:VOLT:ILIM 1e-7');
    expect(Number(s.handleMessage(':READ?'))).toBeCloseTo(1e-7, 15);
    expect(s.handleMessage(':SOUR:VOLT:ILIM:TRIP?')).toBe('1');
    s.handleMessage(':OUTP OFF');
    expect(s.handleMessage(':READ?')).toBeNull();
    expect(s.handleMessage(':SYST:ERR?')).toMatch(/^-221,.*output is off/);
  });

  it('plays a trigger model with a configuration list and fills the buffer', () => {
    const bench = new SimBench({ seed: 5, device: { readNoiseSigma: 0, c2cStepSigma: 0 } });
    const s = bench.smu;
    const g0 = bench.dut.conductanceS;
    for (const cmd of [
      ':SOUR:CONF:LIST:CRE "L"',
      ':SOUR:VOLT 0.1;:SOUR:CONF:LIST:STOR "L"',
      ':SOUR:VOLT 1.5;:SOUR:CONF:LIST:STOR "L"',
      ':TRIG:BLOC:BUFF:CLE 1',
      ':TRIG:BLOC:CONF:RECALL 2, "L", 1',
      ':TRIG:BLOC:SOUR:STAT 3, ON',
      ':TRIG:BLOC:CONF:RECALL 4, "L", 2',
      ':TRIG:BLOC:DEL:CONS 5, 1e-3',
      ':TRIG:BLOC:CONF:RECALL 6, "L", 1',
      ':TRIG:BLOC:DEL:CONS 7, 1e-3',
      ':TRIG:BLOC:MEAS 8',
      ':TRIG:BLOC:BRAN:COUN 9, 10, 4',
      ':TRIG:BLOC:SOUR:STAT 10, OFF',
      ':INIT',
    ])
      s.handleMessage(cmd);
    expect(s.handleMessage(':SYST:ERR?')).toBe('0,"No error"');
    expect(s.handleMessage(':TRAC:ACT? "defbuffer1"')).toBe('10');
    const vals = s.handleMessage(':TRAC:DATA? 1, 10, "defbuffer1", READ, SOUR, REL')!.split(',').map(Number);
    expect(vals.length).toBe(30);
    const currents = vals.filter((_, i) => i % 3 === 0);
    for (let k = 1; k < 10; k++) expect(currents[k]).toBeGreaterThan(currents[k - 1]); // potentiation
    expect(currents[0] / 0.1).toBeGreaterThan(g0);
    expect(vals[1]).toBeCloseTo(0.1, 12);
    expect(vals[2]).toBe(0);
    // Readings 1 ms pulse + 1 ms delay + 20 ms aperture (NPLC 1 at 50 Hz) apart.
    expect(vals[5]).toBeCloseTo(0.022, 9);
    expect(s.handleMessage(':OUTP?')).toBe('0');
  });
});

describe('simulated Keysight 33522B', () => {
  it('parses pulse, level, burst and trigger commands with channel suffixes', () => {
    const g = new SimBench().generator;
    expect(g.handleMessage('*IDN?')).toMatch(/,33522B,/);
    g.handleMessage('SOUR2:FUNC PULS;:SOUR2:FUNC:PULS:PER 1e-3;:SOUR2:FUNC:PULS:WIDT 1e-4');
    expect(g.handleMessage('SOUR2:FUNC?;:SOUR1:FUNC?')).toBe('PULS;SIN');
    g.handleMessage('OUTP2:LOAD INF;:SOUR2:VOLT:HIGH 8;:SOUR2:VOLT:LOW 0');
    expect(g.handleMessage('SOUR2:VOLT:HIGH?')).toBe('8');
    expect(g.handleMessage('SYST:ERR?')).toBe('+0,"No error"');
    g.handleMessage('SOUR1:VOLT:HIGH 8'); // 50 Ω load on channel 1: ±5 V
    expect(g.handleMessage('SYST:ERR?')).toMatch(/^-222,/);
    g.handleMessage('SOUR2:FUNC:PULS:WIDT 2e-3'); // wider than the period
    expect(g.handleMessage('SYST:ERR?')).toMatch(/^-221,/);
  });

  it('a bus-triggered burst applies its pulses to the device', () => {
    const bench = new SimBench({ seed: 6, device: { c2cStepSigma: 0 } });
    const g = bench.generator;
    const g0 = bench.dut.conductanceS;
    g.handleMessage('FUNC PULS;:FUNC:PULS:PER 2e-3;:FUNC:PULS:WIDT 1e-3;:OUTP1:LOAD INF;:VOLT:HIGH 1.5;:VOLT:LOW 0');
    g.handleMessage('BURS:MODE TRIG;:BURS:NCYC 10;:BURS:STAT ON;:TRIG1:SOUR BUS;:OUTP1 ON');
    g.handleMessage('*TRG');
    expect(bench.dut.conductanceS).toBeGreaterThan(g0);
    expect(bench.clock.nowS).toBeCloseTo(0.019, 9); // 9 periods + one width
    const g1 = bench.dut.conductanceS;
    g.handleMessage('OUTP1 OFF;*TRG');
    expect(bench.dut.conductanceS).toBe(g1);
  });
});
