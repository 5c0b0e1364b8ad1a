import { describe, expect, it } from 'vitest';
import { NeuroProbeApp } from '../../app/service.ts';
import { readChannel } from '../../db/reader.ts';
import { SimBench } from '../../drivers/sim/bench.ts';
import { parseCard } from '../../analysis/card-schema.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useApps } from '../helpers/apps.ts';

const openApp = useApps(() => ':memory:');

async function firstRead(lineHz: 50 | 60): Promise<{ t: number; card: ReturnType<NeuroProbeApp['card']> }> {
  const app = openApp();
  const sim = new SimBench({ seed: 1 });
  sim.smu.lineFrequencyHz = lineHz;
  const r = await app.runProtocol({ protocolId: 'ltp-ltd', params: { cycles: 1, nplc: 1, pulseIntervalS: 0.05 }, station: simulatedStation(), device: 'LF', sim });
  expect(r.outcome.status).toBe('completed');
  return { t: readChannel(app.db, r.runId!, 't_s')[0], card: app.card(r.runId!) };
}

describe('settings snapshot and the mains frequency', () => {
  it('read apertures follow the mains the instrument reports; the settings are stored and on the card', async () => {
    const [a, b] = [await firstRead(50), await firstRead(60)];
    // 1 PLC is 20 ms at 50 Hz and 16.7 ms at 60 Hz: the first read is stamped that much earlier.
    expect(a.t - b.t).toBeCloseTo(1 / 50 - 1 / 60, 9);
    const smu = b.card.instruments!.find((i) => i.role === 'source-meter')!;
    expect(smu.settings).toMatchObject({ line_frequency_Hz: 60, firmware: '1.7.12b', serial: 'NPSIM2450', autozero: 'on', source_delay: 'auto' });
    // The card with its instruments is still a valid card (the JSON schema accepts it).
    expect(parseCard(JSON.parse(JSON.stringify(b.card)), 'card').instruments?.length).toBe(1);
  });
});
