// Plays the queue: the pending items in order, each a normal stored run on the station.
// Stops when the queue is empty, after the current run when asked, or at once on abort
// (the playing run ends aborted with its sources safe; the rest stays pending).

import type { RunControl } from '../protocols/run-control.ts';
import type { RunEvent } from '../protocols/runner.ts';
import type { Station } from '../protocols/station.ts';
import type { QueueItem, QueueStore } from './queue.ts';
import type { NeuroProbeApp } from './service.ts';

export interface QueuePlayOptions {
  station: Station;
  signal?: AbortSignal;
  control?: RunControl;
  handleSignals?: boolean;
  /** Asked after each run: true stops the queue there. */
  stopAfterCurrent?: () => boolean;
  onItem?: (item: QueueItem) => void;
  onEvent?: (item: QueueItem, e: RunEvent) => void;
  /** Starts each run (the API service uses its own start to stream events); default: app.runProtocol. */
  start?: (item: QueueItem, onRecord: (runId: number) => void) => Promise<{ status: string; reason: string }>;
}

export interface QueuePlayResult {
  played: number;
  stoppedBecause: 'empty' | 'stop-after-current' | 'aborted';
}

export async function playQueue(app: NeuroProbeApp, store: QueueStore, o: QueuePlayOptions): Promise<QueuePlayResult> {
  let played = 0;
  for (;;) {
    if (o.signal?.aborted) return { played, stoppedBecause: 'aborted' };
    const item = store.nextPending();
    if (!item) return { played, stoppedBecause: 'empty' };
    store.mark(item.id, 'running', null, null);
    o.onItem?.(store.get(item.id));
    let outcome: { status: string; reason: string };
    try {
      const onRecord = (runId: number) => store.mark(item.id, 'running', runId, null);
      outcome = o.start
        ? await o.start(item, onRecord)
        : (
            await app.runProtocol({
              protocolId: item.protocolId,
              params: item.params,
              station: o.station,
              device: item.device,
              signal: o.signal,
              control: o.control,
              handleSignals: o.handleSignals,
              onRecord,
              onEvent: (e) => o.onEvent?.(item, e),
            })
          ).outcome;
    } catch (e) {
      outcome = { status: 'failed', reason: (e as Error).message };
    }
    const status = (['completed', 'failed', 'aborted'].includes(outcome.status) ? outcome.status : 'failed') as QueueItem['status'];
    store.mark(item.id, status, null, outcome.reason);
    o.onItem?.(store.get(item.id));
    played++;
    if (status === 'aborted') return { played, stoppedBecause: 'aborted' };
    if (o.stopAfterCurrent?.()) return { played, stoppedBecause: 'stop-after-current' };
  }
}
