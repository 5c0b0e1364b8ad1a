// Fault injection for the simulated bench: rehearse what happens when an instrument
// stops answering, garbles a reply, reports an error, drops the connection, or the
// device shorts and trips the current limit. A fault starts after a number of program
// messages, or at the n-th pulse train (`:INIT`), and stays (an `error` is raised once).

import { z } from 'zod';
import { ScpiError } from '../scpi/command-tree.ts';
import type { SimInstrument } from './scpi-instrument.ts';

export const FaultSchema = z
  .strictObject({
    instrument: z.enum(['keithley2450', 'keysight33500b']),
    kind: z.enum(['timeout', 'garble', 'error', 'disconnect', 'short']).describe('what goes wrong'),
    afterMessages: z.number().int().min(0).optional().describe('start after this many program messages to the instrument'),
    atTrain: z.number().int().min(1).optional().describe('start with the n-th :INIT (pulse train) of the SMU'),
  })
  .refine((f) => (f.afterMessages === undefined) !== (f.atTrain === undefined), { message: 'give exactly one of afterMessages or atTrain' });
export type Fault = z.infer<typeof FaultSchema>;

/** Thrown by a disconnected simulated instrument; transports turn it into a closed connection. */
export class SimDisconnected extends Error {
  constructor(model: string) {
    super(`simulated ${model} dropped the connection (injected fault)`);
    this.name = 'SimDisconnected';
  }
}

export interface FaultHost {
  /** Makes the device a near short, so the SMU's current limit trips. */
  shortDevice(): void;
}

export class FaultyInstrument implements SimInstrument {
  private messages = 0;
  private trains = 0;
  private active = false;
  private pendingError = false;

  constructor(
    private readonly inner: SimInstrument & { pushError(e: ScpiError): void },
    private readonly fault: Fault,
    private readonly host: FaultHost,
  ) {}

  get model(): string {
    return this.inner.model;
  }

  get received(): string[] {
    return this.inner.received;
  }

  private trigger(message: string): void {
    this.messages++;
    if (/^:?INIT/i.test(message.trim())) this.trains++;
    if (this.active) return;
    const f = this.fault;
    if ((f.afterMessages !== undefined && this.messages > f.afterMessages) || (f.atTrain !== undefined && this.trains >= f.atTrain)) {
      this.active = true;
      if (f.kind === 'short') this.host.shortDevice();
      if (f.kind === 'error') this.pendingError = true;
    }
  }

  handleMessage(message: string): string | null {
    this.trigger(message);
    if (!this.active) return this.inner.handleMessage(message);
    switch (this.fault.kind) {
      case 'disconnect':
        throw new SimDisconnected(this.inner.model);
      case 'timeout':
        this.inner.received.push(message);
        return null;
      case 'garble': {
        const reply = this.inner.handleMessage(message);
        return reply === null ? null : `\u00bf#${reply.split('').reverse().join('')}\u0007`;
      }
      case 'error': {
        // One error, raised by the message that started the fault.
        const reply = this.inner.handleMessage(message);
        if (this.pendingError) this.inner.pushError(new ScpiError(-200, 'Execution error; injected fault'));
        this.pendingError = false;
        return reply;
      }
      case 'short':
        return this.inner.handleMessage(message);
    }
  }
}
