// Newport CONEX-AGP rotation stage (AG-PR100P) driver (RotationStage role): ASCII over a
// serial line (921600 8N1, XON/XOFF), `<address><command><argument>` with CR LF, queries
// with `?` (instruments.md §3.3, after Qudi's and pySMC100's drivers). Home with OR, move
// with PA, read back TP?, wait for TS? to report READY, errors from TE? ('@' = none).
// Moves finish in the positive direction (backlash); an angle outside the allowed travel
// is refused before anything is sent. Unconfirmed here: the exact TS? state codes of
// the AGP (taken as SMC100's: 32/33/34 ready, 28 moving, 1E homing, 0A–0F not referenced).

import { DriverError } from '../errors.ts';
import type { RotationStage } from '../roles.ts';
import type { Transport } from '../../transport/transport.ts';
import { type StageLimits, type StageMoveOptions, checkStageAngle, moveApproachingFromBelow } from './stage-moves.ts';

export interface ConexOptions extends StageMoveOptions {
  /** Controller address, 1–31 (sent as two digits). */
  address?: number;
}

const READY = new Set(['32', '33', '34']);
const NOT_REFERENCED = new Set(['0A', '0B', '0C', '0D', '0E', '0F', '10']);

export class ConexAgpStage implements RotationStage {
  readonly role = 'rotation-stage' as const;
  readonly model = 'Newport CONEX-AGP';
  private readonly addr: string;
  private readonly backlashDeg: number;
  private readonly moveTimeoutMs: number;
  private readonly limits: StageLimits;

  constructor(
    private readonly transport: Transport,
    opts: ConexOptions = {},
  ) {
    const a = opts.address ?? 1;
    if (!Number.isInteger(a) || a < 1 || a > 31) throw new DriverError(`CONEX address ${a} is not 1–31`);
    this.addr = String(a).padStart(2, '0');
    this.backlashDeg = opts.backlashDeg ?? 1;
    this.moveTimeoutMs = opts.moveTimeoutMs ?? 30_000;
    this.limits = opts.limits ?? { minDeg: 0, maxDeg: 360 };
  }

  get label(): string {
    return `Newport CONEX-AGP ${this.addr} at ${this.transport.resource}`;
  }

  private send(cmd: string, arg = ''): Promise<void> {
    return this.transport.write(`${this.addr}${cmd}${arg}`);
  }

  /** A query; the reply must echo the address and command (as Qudi checks). */
  private async ask(cmd: string): Promise<string> {
    const r = (await this.transport.query(`${this.addr}${cmd}?`)).trim();
    if (!r.startsWith(`${this.addr}${cmd}`)) throw new DriverError(`${this.label}: "${cmd}?" answered "${r}"`);
    return r.slice(this.addr.length + cmd.length);
  }

  private async state(): Promise<string> {
    const r = await this.ask('TS');
    if (!/^[0-9A-F]{6}$/i.test(r)) throw new DriverError(`${this.label}: TS? answered "${r}", not 4 error-bit and 2 state hex digits`);
    return r.slice(4).toUpperCase();
  }

  private async checkError(what: string): Promise<void> {
    const e = await this.ask('TE');
    if (e !== '@') throw new DriverError(`${this.label}: ${what}: controller error ${e}`);
  }

  private async waitReady(what: string): Promise<void> {
    const deadline = Date.now() + this.moveTimeoutMs;
    for (;;) {
      const s = await this.state();
      if (READY.has(s)) return;
      if (NOT_REFERENCED.has(s)) {
        // Read (and so clear) the controller's error, so the next command starts clean.
        const e = await this.ask('TE');
        throw new DriverError(`${this.label}: ${what}: the stage is not referenced (state ${s}${e !== '@' ? `, error ${e}` : ''}); home it first`);
      }
      if (Date.now() > deadline) throw new DriverError(`${this.label}: ${what} did not finish within ${this.moveTimeoutMs / 1000} s (state ${s})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async identify(): Promise<string> {
    const id = await this.ask('ID');
    if (!/AG-PR100P/i.test(id)) throw new DriverError(`${this.label}: ID? names "${id}", not an AG-PR100P rotation stage`);
    const ve = await this.ask('VE').catch(() => '');
    return `Newport,CONEX-AGP,${id},${ve}`;
  }

  async reset(): Promise<void> {
    await this.send('OR');
    await this.waitReady('homing');
    await this.checkError('homing');
  }

  checkAngle(deg: number): void {
    checkStageAngle(this.label, this.limits, deg);
  }

  async position(): Promise<number> {
    const v = Number(await this.ask('TP'));
    if (!Number.isFinite(v)) throw new DriverError(`${this.label}: TP? did not answer a number`);
    return v;
  }

  private async moveAbsolute(deg: number): Promise<void> {
    await this.send('PA', String(Number(deg.toFixed(6))));
    await this.waitReady(`moving to ${deg}°`);
    await this.checkError(`moving to ${deg}°`);
  }

  async moveTo(deg: number): Promise<number> {
    this.checkAngle(deg);
    return moveApproachingFromBelow(deg, { limits: this.limits, backlashDeg: this.backlashDeg, position: () => this.position(), moveAbsolute: (d) => this.moveAbsolute(d) });
  }

  async safeOff(): Promise<void> {
    await this.send('ST');
    await this.state();
  }

  async settings(): Promise<Record<string, number | string>> {
    return { id: await this.ask('ID'), position_deg: await this.position(), backlash_deg: this.backlashDeg };
  }

  async describeOutputs(): Promise<{ anyOn: boolean; text: string }> {
    return { anyOn: false, text: `at ${(await this.position()).toFixed(3)}°` };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
