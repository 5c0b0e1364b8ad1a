// Child process for the memory benchmark: one endurance run in this process, then its
// whole-process peak resident set size on stdout (KB).
import { NeuroProbeApp } from '../app/service.ts';
import { simulatedStation } from '../protocols/station.ts';

const [cycles, db] = [Number(process.argv[2]), process.argv[3]];
const app = new NeuroProbeApp(db);
const r = await app.runProtocol({ protocolId: 'endurance', params: { cycles, stopAfterFailure: 'no' }, station: simulatedStation(), device: 'RSS' });
app.close();
if (r.outcome.status !== 'completed') throw new Error(`endurance ${r.outcome.status}: ${r.outcome.reason}`);
process.stdout.write(`${process.resourceUsage().maxRSS}\n`);
