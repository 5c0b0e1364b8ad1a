// The queue: devices × protocols kept in the database, played in order, stopped after
// the current run or aborted, and still there after a restart.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devicesFromText } from '../../app/queue.ts';
import { playQueue } from '../../app/queue-player.ts';
import { NeuroProbeApp } from '../../app/service.ts';
import { simulatedStation } from '../../protocols/station.ts';
import { useTempDir } from '../helpers/temp.ts';

const tempDir = useTempDir();

describe('the queue', () => {
  it('reads device names from a die-map file', () => {
    expect(devicesFromText('device,row,col\n"W1-R1C1",1,1\n# broken one\nW1-R1C2;1;2\n\nW1-R2C1\tx\n')).toEqual(['W1-R1C1', 'W1-R1C2', 'W1-R2C1']);
  });

  it('plays in order, stops after the current run when asked, survives a restart, and refuses bad parameters up front', async () => {
    const path = join(tempDir(), 'q.db');
    let app = new NeuroProbeApp(path);
    expect(() => app.queue.add({ devices: ['X'], protocolId: 'ltp-ltd', params: { cycles: 0 } })).toThrow(/cycles = 0 cycles is below the minimum 1/);
    app.queue.add({ devices: ['D1', 'D2', 'D3'], protocolId: 'ltp-ltd', params: { cycles: 1, pulsesPerTrain: 20 } });
    app.queue.move(3, 1); // D3 first
    expect(app.queue.list().map((i) => i.device)).toEqual(['D3', 'D1', 'D2']);
    let played = 0;
    const r = await playQueue(app, app.queue, { station: simulatedStation(), stopAfterCurrent: () => ++played >= 2 });
    expect(r).toEqual({ played: 2, stoppedBecause: 'stop-after-current' });
    app.close();

    app = new NeuroProbeApp(path); // a restart: the queue is still there
    const items = app.queue.list();
    expect(items.map((i) => [i.device, i.status])).toEqual([
      ['D3', 'completed'],
      ['D1', 'completed'],
      ['D2', 'pending'],
    ]);
    expect(app.run(items[0].runId!).device).toBe('D3');
    const rest = await playQueue(app, app.queue, { station: simulatedStation() });
    expect(rest).toEqual({ played: 1, stoppedBecause: 'empty' });
    expect(app.queue.list().every((i) => i.status === 'completed')).toBe(true);
    app.close();
  });

  it('an abort ends the playing run aborted and leaves the rest pending', async () => {
    const app = new NeuroProbeApp(join(tempDir(), 'a.db'));
    app.queue.add({ devices: ['A1', 'A2'], protocolId: 'ltp-ltd', params: { cycles: 3 } });
    const controller = new AbortController();
    const r = await playQueue(app, app.queue, {
      station: simulatedStation(),
      signal: controller.signal,
      onEvent: (_item, e) => {
        if (e.type === 'progress') controller.abort();
      },
    });
    expect(r.stoppedBecause).toBe('aborted');
    expect(app.queue.list().map((i) => i.status)).toEqual(['aborted', 'pending']);
    app.close();
  });
});
