import { describe, expect, it } from 'vitest';
import { analyseRun, analyseStoredRun } from '../../app/stored-analysis.ts';
import { getRun, readAllChannels } from '../../db/reader.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

describe('stored runs are analysed as a stream', () => {
  it.each([
    ['endurance', { cycles: 200_000, cyclesPerTrain: 10_000, stopAfterFailure: 'no' }],
    ['ltp-ltd', { cycles: 330 }],
  ] as const)('%s: window by window gives exactly what the whole record gives', async (protocolId, params) => {
    const app = openApp();
    const r = await app.runProtocol({ protocolId, params, station: simulatedStation(), device: 'S1' });
    expect(r.outcome.status).toBe('completed');
    const run = getRun(app.db, r.runId!);
    // More samples than one streaming window (65 536), so the stream really is cut.
    expect(run.samples).toBeGreaterThan(65_536);
    const streamed = analyseStoredRun(app.db, run);
    const whole = analyseRun(run, { channels: readAllChannels(app.db, r.runId!) });
    expect(streamed.metrics).toEqual(whole.metrics);
    expect(streamed.metrics.filter((m) => m.status === 'value').length).toBeGreaterThan(3);
  }, 60_000);
});
