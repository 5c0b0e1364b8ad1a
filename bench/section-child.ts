// Runs one benchmark section in a fresh process (as a user's command runs), so figures
// that depend on the process's own heap (pauses, start of the next train) are not those
// of the long-lived bench process that has already built 10⁷-sample databases.
import { protocolOverheads, trainRates } from './protocols.ts';

const sections: Record<string, () => Promise<void>> = { 'protocol-overheads': protocolOverheads, 'train-rates': trainRates };
const run = sections[process.argv[2]];
if (!run) throw new Error(`unknown bench section "${process.argv[2]}"; known: ${Object.keys(sections).join(', ')}`);
await run();
