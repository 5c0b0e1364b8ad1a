// Child process for the memory benchmark: one job in this process, then its whole-process
// peak resident set size on stdout (KB). Jobs: `endurance <cycles> <db>`,
// `ltp-ltd <pulses> <db>` (trains of 100 pulses), `card <db>` (recompute the stored run's card).
import { NeuroProbeApp } from '../app/service.ts';
import { simulatedStation } from '../protocols/station.ts';
import { collectGarbageNow } from '../protocols/heap-policy.ts';

const [job, arg, db] = process.argv.slice(2);
const app = new NeuroProbeApp(job === 'card' ? arg : db);
if (job === 'card') {
  const [run] = app.runs();
  if (!run) throw new Error(`no run in ${arg}`);
  app.recomputeCard(run.id);
} else {
  const n = Number(arg);
  const params = job === 'endurance' ? { cycles: n, stopAfterFailure: 'no' } : { cycles: Math.round(n / 200), pulsesPerTrain: 100, readRepeats: 0 };
  const r = await app.runProtocol({ protocolId: job, params, station: simulatedStation(), device: 'RSS' });
  if (r.outcome.status !== 'completed') throw new Error(`${job} ${r.outcome.status}: ${r.outcome.reason}`);
}
app.close();
const collected = collectGarbageNow();
process.stdout.write(`${process.resourceUsage().maxRSS} ${collected ? Math.round(process.memoryUsage().heapUsed / 1024) : NaN}\n`);
