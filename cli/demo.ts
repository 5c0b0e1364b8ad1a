// `neuroprobe demo` (and `npm run demo`): the LTP/LTD protocol on the built-in simulated
// bench into a database in the working folder, the benchmark card, and a check of the
// fitted values against what the simulated device was configured to be.

import { formatNumber, renderCardText } from '../analysis/card.ts';
import type { Metric } from '../analysis/metric.ts';
import { NeuroProbeApp } from '../app/service.ts';
import { simulatedDeviceReference } from '../app/sim-reference.ts';
import { simulatedStation } from '../protocols/station.ts';
import { ProgressLine } from './progress.ts';

function value(ms: Metric[], id: string, qualifier: string, convention?: string): number {
  const m = ms.find((x) => x.id === id && x.qualifier === qualifier && (convention === undefined || x.convention === convention));
  return m?.status === 'value' ? m.value : NaN;
}

export async function runDemo(dbPath: string, device: string): Promise<void> {
  const station = simulatedStation();
  const app = new NeuroProbeApp(dbPath);
  const progress = new ProgressLine();
  try {
    process.stderr.write(`NeuroProbe demo: LTP/LTD on the simulated bench (${station.name})\n`);
    const r = await app.runProtocol({
      protocolId: 'ltp-ltd',
      params: {},
      station,
      device,
      handleSignals: true,
      onEvent: (e) => {
        if (e.type === 'progress') progress.update(e.done, e.total, e.message);
        else if (e.type === 'live') progress.live(e.points);
      },
    });
    progress.end();
    if (r.runId === null || !r.card) throw new Error(`demo run did not start: ${r.outcome.reason}`);
    process.stdout.write(renderCardText(r.card) + '\n\n');

    const ref = await simulatedDeviceReference(station, device, 'ltp-ltd', r.outcome.params);
    const rows: [string, number, number, string][] = [
      ['NL label LTP (nl.lsq3)', value(r.card.metrics, 'nl.lsq3', 'ltp', 'signed'), ref.nlLtp, 'configured A_LTP = ' + ref.aLtp],
      ['NL label LTD (nl.lsq3)', value(r.card.metrics, 'nl.lsq3', 'ltd', 'signed'), ref.nlLtd, 'configured A_LTD = ' + ref.aLtd],
      ['DR LTP (dr.ratio)', value(r.card.metrics, 'dr.ratio', 'ltp'), value(ref.noiseFreeMetrics, 'dr.ratio', 'ltp'), 'noise-free simulated curve'],
      ['DR LTD (dr.ratio)', value(r.card.metrics, 'dr.ratio', 'ltd'), value(ref.noiseFreeMetrics, 'dr.ratio', 'ltd'), 'noise-free simulated curve'],
    ];
    process.stdout.write('Check against the simulated device (the truth the analysis should recover):\n');
    for (const [name, measured, truth, note] of rows) {
      const dev = name.startsWith('DR') ? `${formatNumber((100 * (measured - truth)) / truth, 2)} %` : `${formatNumber(measured - truth, 2)}`;
      process.stdout.write(`  ${name.padEnd(24)} measured ${formatNumber(measured).padEnd(8)} truth ${formatNumber(truth).padEnd(8)} difference ${dev.padEnd(9)} (${note})\n`);
    }
    process.stdout.write(
      `\nRun ${r.runId} is stored with every raw sample in ${dbPath}. Next:\n` +
        `  npx neuroprobe runs --db ${dbPath}\n` +
        `  npx neuroprobe show ${r.runId} --db ${dbPath} --json\n` +
        `  npx neuroprobe export ${r.runId} --format csv --db ${dbPath} --out run${r.runId}.csv\n`,
    );
  } finally {
    app.close();
  }
}
