// Bench view: the station the server drives, its instruments and the safety limits every
// protocol is checked against.

import type { StationView } from '../../../app/api/contract.ts';

export function BenchView({ station }: { station: StationView }) {
  const l = station.limits;
  return (
    <section className="view">
      <h2>Bench: {station.name}</h2>
      {station.simulated && <p className="sim-banner">SIMULATED bench: no hardware is touched, and runs are stored as simulated.</p>}
      <table className="instruments">
        <thead>
          <tr>
            <th>id</th>
            <th>model</th>
            <th>role</th>
            <th>resource</th>
          </tr>
        </thead>
        <tbody>
          {station.instruments.map((i) => (
            <tr key={i.id}>
              <td>{i.id}</td>
              <td>{i.model}</td>
              <td>{i.role}</td>
              <td>
                <code>{i.resource}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Safety limits</h3>
      <ul className="limits">
        <li>largest |V| on the device: {l.maxAbsVoltageV} V</li>
        <li>largest |I| the device may carry: {l.maxAbsCurrentA} A</li>
        <li>largest current limit (compliance): {l.complianceA} A</li>
        <li>shortest pulse: {l.minPulseWidthS} s</li>
      </ul>
      <p className="help">Parameters outside these limits are refused before any instrument command; on abort, error or a closed window the sources go to 0 V and off.</p>
    </section>
  );
}
