// The Elliptec ASCII protocol (Thorlabs ELL14/ELL18), shared by the driver and the
// simulator: status codes, 32-bit hex numbers, and cutting a byte stream into commands
// (commands carry no terminator; each code has a known length).
// Facts as read in public drivers (roesel/elliptec, pyLabLib); no vendor manual was
// available here to confirm them.

export const ELLIPTEC_STATUS: Record<number, string> = {
  0: 'OK',
  1: 'communication timeout',
  2: 'mechanical timeout',
  3: 'command error or not supported',
  4: 'value out of range',
  5: 'module isolated',
  6: 'module out of isolation',
  7: 'initialising error',
  8: 'thermal error',
  9: 'busy',
  10: 'sensor error',
  11: 'motor error',
  12: 'out of range',
  13: 'over current error',
};

/** Length of a host command after the address, by its two-letter code (data included). */
const COMMAND_LENGTH: Record<string, number> = { in: 2, gs: 2, gp: 2, ma: 10, mr: 10, ho: 3, gj: 2, sj: 10, fw: 2, bw: 2, go: 2, gv: 2, st: 2 };

export function hex32(v: number): string {
  return ((Math.trunc(v) + 2 ** 32) % 2 ** 32).toString(16).toUpperCase().padStart(8, '0');
}

export function fromHex32(h: string): number {
  const u = parseInt(h, 16);
  return u >= 2 ** 31 ? u - 2 ** 32 : u;
}

/**
 * Cuts a byte stream into Elliptec commands: address, code, fixed-length data. An
 * unknown code or a non-hex address drops one byte (the device would reply with an
 * error); an incomplete command waits for more bytes.
 */
export function splitElliptec(buffer: string): { commands: string[]; rest: string; dropped: number } {
  const commands: string[] = [];
  let i = 0;
  let dropped = 0;
  while (i < buffer.length) {
    if (buffer[i] === '\r' || buffer[i] === '\n') {
      i++; // tolerated: some clients send a line end anyway
      continue;
    }
    if (!/[0-9A-Fa-f]/.test(buffer[i])) {
      i++;
      dropped++;
      continue;
    }
    if (i + 3 > buffer.length) break;
    const len = COMMAND_LENGTH[buffer.slice(i + 1, i + 3)];
    if (len === undefined) {
      i++;
      dropped++;
      continue;
    }
    if (i + 1 + len > buffer.length) break;
    commands.push(buffer.slice(i, i + 1 + len));
    i += 1 + len;
  }
  return { commands, rest: buffer.slice(i), dropped };
}

