// Pass criteria for yield, written as the user types them: "dr.ratio:ltp>=2,states.distinct:ltp>=20".

export class CriterionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** "key>=min,key>=min" → { key: min }; throws naming the part that is not of that form. */
export function parseMinimums(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([\w.:-]+)\s*>=\s*(-?[\d.eE+-]+)\s*$/.exec(part);
    if (!m || !Number.isFinite(Number(m[2]))) throw new CriterionError(`--pass: "${part}" is not of the form metric>=value, e.g. dr.ratio:ltp>=2`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
