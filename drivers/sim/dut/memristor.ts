// Two-terminal memristor model for the simulated bench.
// Conductance follows the exponential weight-update model of metrics.md §1 (the
// NeuroSim/aihwkit curve): potentiation moves along y(x; 1/A_LTP), depression along
// y(x; 1/A_LTD) in the mirrored frame, so a noise-free LTD train read backwards and
// fitted as metrics.md says returns exactly A_LTD. The state is the conductance itself,
// so switching between the two curves is continuous.
// A pulse of amplitude V above threshold for a time dt advances the curve position by
// (1/n)·((|V| − V_th)/(V_nom − V_th))·(dt/t_nom), times (1 + σ_c2c·N(0,1)): linear in
// the time above threshold, so a pulse split into pieces gives the same mean step.
// Optional wear-out closes the window with the number of switching cycles; an optional
// volatile part (two decaying components) gives paired-pulse facilitation, and an
// optional retention relaxation lets part of each programmed change decay away.

import { xOfY, yNu } from '../../../analysis/exp-model.ts';
import { Rng, RngStateSchema } from '../rng.ts';
import { z } from 'zod';

export const MemristorParamsSchema = z.object({
  gMinS: z.number().positive().default(10e-6).describe('lowest conductance, S'),
  gMaxS: z.number().positive().default(100e-6).describe('highest conductance, S'),
  pulsesToSpan: z.number().int().min(2).default(100).describe('nominal pulses that take the device across its range'),
  aLtp: z.number().refine((v) => v !== 0, 'A must not be 0').default(0.5).describe('A of the potentiation curve (metrics.md §1)'),
  aLtd: z.number().refine((v) => v !== 0, 'A must not be 0').default(-0.3).describe('A of the depression curve, mirrored frame'),
  vSetThresholdV: z.number().positive().default(0.8).describe('potentiation threshold, V'),
  vResetThresholdV: z.number().negative().default(-0.8).describe('depression threshold, V'),
  vNominalV: z.number().positive().default(1.5).describe('pulse amplitude that gives the nominal step, V'),
  widthNominalS: z.number().positive().default(1e-3).describe('pulse width that gives the nominal step, s'),
  c2cStepSigma: z.number().min(0).default(0.01).describe('relative cycle-to-cycle step noise'),
  readNoiseSigma: z.number().min(0).default(0.001).describe('relative read-current noise'),
  d2dSigma: z.number().min(0).default(0.02).describe('relative device-to-device spread of Gmin, Gmax, A'),
  initialState: z.number().min(0).max(1).default(0).describe('starting position on the conductance range (0 = Gmin)'),
  wearOutCycles: z.number().positive().optional().describe('switching cycles N after which the window closes: Gmax_eff = Gmin + (Gmax − Gmin)·exp(−(n/N)⁴); absent = no wear'),
  volatileThresholdV: z.number().positive().default(0.3).describe('pulses above this add volatile (short-term) conductance, V'),
  volatileStepS: z.tuple([z.number().min(0), z.number().min(0)]).default([0, 0]).describe('volatile conductance added per nominal-width pulse, fast and slow component, S (0 = none)'),
  volatileTauS: z.tuple([z.number().positive(), z.number().positive()]).default([0.05, 1]).describe('decay times of the fast and slow volatile components, s'),
  retentionFraction: z.number().min(0).max(1).default(0).describe('fraction of each programmed change that relaxes away (0 = perfect retention)'),
  retentionTauS: z.number().positive().default(300).describe('relaxation time τ of the stretched exponential, s'),
  retentionBeta: z.number().gt(0).max(1).default(0.5).describe('stretching exponent β of the relaxation'),
  pristine: z.boolean().default(false).describe('the device starts unformed (needs forming before it switches)'),
  formingVoltageV: z.number().positive().default(3).describe('|V| at which a pristine device forms, V'),
  pristineConductanceS: z.number().positive().default(1e-9).describe('conductance before forming, S'),
  darkCurrentA: z.number().default(0).describe('current that flows with or without light, A (added to every read)'),
  photoCurrentMinA: z.number().min(0).default(0).describe('photocurrent with the polarizer crossed to the device axis, at the reference power, A'),
  photoCurrentMaxA: z.number().min(0).default(0).describe('photocurrent with the polarizer along the device axis, at the reference power, A'),
  polarizationAngleDeg: z.number().default(0).describe('device axis φ: photocurrent is I_min + (I_max − I_min)·cos²(θ − φ)'),
  photoReferencePowerMw: z.number().positive().default(1).describe('optical power at the sample the photocurrents refer to, mW'),
  photoStepS: z.number().min(0).default(0).describe('non-volatile conductance gained per nominal-width light pulse at the reference power along the axis, S'),
});
export type MemristorParams = z.infer<typeof MemristorParamsSchema>;

export const MemristorStateSchema = z.strictObject({
  g: z.number(),
  broken: z.boolean(),
  cycles: z.number().int().min(0),
  lastDirection: z.enum(['up', 'down']).nullable(),
  volatile: z.tuple([z.number(), z.number()]),
  settled: z.number(),
  sinceProgrammingS: z.number().min(0),
  rng: RngStateSchema,
  formed: z.boolean().default(true),
});
export type MemristorState = z.infer<typeof MemristorStateSchema>;

export class Memristor {
  readonly params: MemristorParams;
  private g: number;
  private broken = false;
  /** Completed switching cycles (a depression following a potentiation). */
  private cycles = 0;
  private lastDirection: 'up' | 'down' | null = null;
  /** Volatile conductance (fast, slow) that decays back to 0: paired-pulse facilitation. */
  private readonly volatile: [number, number] = [0, 0];
  /** Retention relaxation: g(t) = settled + (g − settled)·exp(−(t/τ)^β), t since the last programming. */
  private settled: number;
  private sinceProgrammingS = 0;
  private formed: boolean;
  private readonly rng: Rng;

  /** `deviceIndex` draws this device's parameters from the spread (0 = the nominal device). */
  constructor(params: Partial<MemristorParams> = {}, seed = 1, deviceIndex = 0) {
    const p = MemristorParamsSchema.parse(params);
    if (p.gMaxS <= p.gMinS) throw new Error(`memristor gMaxS (${p.gMaxS}) must exceed gMinS (${p.gMinS})`);
    this.rng = new Rng(seed).fork(deviceIndex + 1);
    if (deviceIndex > 0 && p.d2dSigma > 0) {
      const d2d = this.rng.fork(7);
      const vary = (v: number) => v * Math.exp(p.d2dSigma * d2d.normal());
      p.gMinS = vary(p.gMinS);
      p.gMaxS = Math.max(vary(p.gMaxS), p.gMinS * 1.01);
      p.aLtp = vary(p.aLtp);
      p.aLtd = vary(p.aLtd);
    }
    this.params = p;
    if (p.photoCurrentMaxA < p.photoCurrentMinA) throw new Error(`memristor photoCurrentMaxA (${p.photoCurrentMaxA}) must be at least photoCurrentMinA (${p.photoCurrentMinA})`);
    this.formed = !p.pristine;
    this.g = p.gMinS + (p.gMaxS - p.gMinS) * p.initialState;
    this.settled = this.g;
  }

  /** Total conductance: the non-volatile state (relaxing) plus the decaying volatile part. */
  get conductanceS(): number {
    if (!this.formed) return this.params.pristineConductanceS;
    return this.relaxed() + this.volatile[0] + this.volatile[1];
  }

  private relaxed(): number {
    const p = this.params;
    if (p.retentionFraction === 0 || this.g === this.settled) return this.g;
    return this.settled + (this.g - this.settled) * Math.exp(-Math.pow(this.sinceProgrammingS / p.retentionTauS, p.retentionBeta));
  }

  get switchingCycles(): number {
    return this.cycles;
  }

  /** Upper end of the conductance range after wear. */
  private get gMaxEffective(): number {
    const p = this.params;
    if (!p.wearOutCycles) return p.gMaxS;
    return p.gMinS + (p.gMaxS - p.gMinS) * Math.exp(-((this.cycles / p.wearOutCycles) ** 4));
  }

  /** Fault injection: the device breaks down to a fixed conductance (e.g. a short). */
  forceConductance(gS: number): void {
    this.g = gS;
    this.settled = gS;
    this.broken = true;
  }

  /** Applies a constant voltage for dt seconds. */
  apply(voltageV: number, dtS: number): void {
    const p = this.params;
    if (dtS <= 0 || this.broken) return;
    if (!this.formed) {
      // Forming: a filament appears once |V| reaches the forming voltage; the device lands
      // in its low-resistance state (the SMU's current limit keeps the current in check).
      if (Math.abs(voltageV) >= p.formingVoltageV) {
        this.formed = true;
        this.g = this.gMaxEffective;
        this.settled = this.g;
        this.sinceProgrammingS = 0;
      }
      return;
    }
    this.applyVolatile(voltageV, dtS);
    const up = voltageV > p.vSetThresholdV;
    const down = voltageV < p.vResetThresholdV;
    if (!up && !down) {
      this.sinceProgrammingS += dtS;
      return;
    }
    // Programming starts from where relaxation has brought the device.
    const before = this.relaxed();
    this.g = before;
    const th = up ? p.vSetThresholdV : p.vResetThresholdV;
    const direction = up ? 'up' : 'down';
    if (direction === 'down' && this.lastDirection === 'up') this.cycles++;
    this.lastDirection = direction;
    const overdrive = (voltageV - th) / (up ? p.vNominalV - p.vSetThresholdV : -p.vNominalV - p.vResetThresholdV);
    const noise = p.c2cStepSigma > 0 ? 1 + p.c2cStepSigma * this.rng.normal() : 1;
    const dx = (overdrive * (dtS / p.widthNominalS) * Math.max(0, noise)) / p.pulsesToSpan;
    const span = this.gMaxEffective - p.gMinS;
    const nu = 1 / (up ? p.aLtp : p.aLtd);
    // A fully worn device (window closed to below a part in 10⁹) sits at Gmin: no curve left to move along.
    if (!(span > 1e-9 * p.gMinS)) {
      this.g = p.gMinS;
    } else {
      const gn = Math.min(1, Math.max(0, (this.g - p.gMinS) / span));
      const x = xOfY(gn, nu);
      const xNew = up ? Math.min(1, x + dx) : Math.max(0, x - dx);
      const next = p.gMinS + span * yNu(xNew, nu);
      this.g = Number.isFinite(next) ? next : this.g;
    }
    // The part of this change that will not relax is added to where the device settles.
    this.settled += (1 - p.retentionFraction) * (this.g - before);
    this.sinceProgrammingS = 0;
  }

  /** Decay over dt, then the contribution of a pulse above the volatile threshold (linear in its duration). */
  private applyVolatile(voltageV: number, dtS: number): void {
    const p = this.params;
    for (const k of [0, 1] as const) {
      this.volatile[k] *= Math.exp(-dtS / p.volatileTauS[k]);
      if (Math.abs(voltageV) > p.volatileThresholdV && p.volatileStepS[k] > 0) {
        // Mean rate over the pulse, so a pulse split into pieces adds the same amount.
        this.volatile[k] += p.volatileStepS[k] * (dtS / p.widthNominalS);
      }
    }
  }

  /** Everything that evolves (for checkpoints: a resumed simulated run continues this device exactly). */
  snapshot(): MemristorState {
    return {
      g: this.g,
      broken: this.broken,
      cycles: this.cycles,
      lastDirection: this.lastDirection,
      volatile: [this.volatile[0], this.volatile[1]],
      settled: this.settled,
      sinceProgrammingS: this.sinceProgrammingS,
      rng: this.rng.snapshot(),
      formed: this.formed,
    };
  }

  restore(s: MemristorState): void {
    const st = MemristorStateSchema.parse(s);
    this.g = st.g;
    this.broken = st.broken;
    this.cycles = st.cycles;
    this.lastDirection = st.lastDirection;
    this.volatile[0] = st.volatile[0];
    this.volatile[1] = st.volatile[1];
    this.settled = st.settled;
    this.sinceProgrammingS = st.sinceProgrammingS;
    this.rng.restore(st.rng);
    this.formed = st.formed;
  }

  get isFormed(): boolean {
    return this.formed;
  }

  /** Relative absorption of light polarized at θ: m + (1 − m)·cos²(θ − φ), m = I_min/I_max (1 along the device axis). */
  private absorption(angleDeg: number): number {
    const p = this.params;
    if (p.photoCurrentMaxA === 0) return 0;
    const m = p.photoCurrentMinA / p.photoCurrentMaxA;
    const c = Math.cos(((angleDeg - p.polarizationAngleDeg) * Math.PI) / 180);
    return m + (1 - m) * c * c;
  }

  /** Noise-free photocurrent under light of this power and polarization, A (the model's truth). */
  photoCurrentA(powerMw: number, angleDeg: number): number {
    const p = this.params;
    return (p.photoCurrentMaxA * this.absorption(angleDeg) * powerMw) / p.photoReferencePowerMw;
  }

  /** Light falls on the device for dt seconds: photo-induced, non-volatile potentiation in proportion to absorbed energy. */
  illuminate(powerMw: number, angleDeg: number, dtS: number): void {
    const p = this.params;
    if (dtS <= 0 || this.broken || !this.formed || p.photoStepS === 0 || powerMw <= 0) return;
    const before = this.relaxed();
    const dg = p.photoStepS * (powerMw / p.photoReferencePowerMw) * (dtS / p.widthNominalS) * this.absorption(angleDeg);
    this.g = Math.min(Math.max(before, this.gMaxEffective), before + dg);
    this.settled += (1 - p.retentionFraction) * (this.g - before);
    this.sinceProgrammingS = 0;
  }

  /** Current at a (sub-threshold or not) voltage, with read noise: ohmic, plus dark current, plus photocurrent when lit. */
  currentA(voltageV: number, light?: { powerMw: number; angleDeg: number }): number {
    const i = this.conductanceS * voltageV + this.params.darkCurrentA + (light ? this.photoCurrentA(light.powerMw, light.angleDeg) : 0);
    const s = this.params.readNoiseSigma;
    return s > 0 ? i * (1 + s * this.rng.normal()) : i;
  }
}
