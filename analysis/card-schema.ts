// The benchmark card's exchange format as a zod schema (parse/validate) and as JSON
// Schema (for other tools). Versioned by `schemaVersion`.

import { z } from 'zod';
import { CARD_SCHEMA, CARD_SCHEMA_VERSION, CARD_SOURCES, type BenchmarkCard } from './card.ts';

const conditions = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));
const common = {
  id: z.string().min(1).describe('definition id from metrics.md, e.g. nl.lsq3'),
  qualifier: z.string().optional().describe('which quantity of the definition, e.g. ltp'),
  unit: z.string().describe('SI unit, or 1 for dimensionless'),
  method: z.string(),
  convention: z.string().optional(),
  conditions,
};
const present = z.strictObject({
  ...common,
  status: z.literal('value'),
  value: z.number(),
  stderr: z.number().optional(),
  extra: z.record(z.string(), z.number()).optional(),
  quality: z.strictObject({ nrmse: z.number().optional(), aic: z.number().optional(), points: z.number().optional() }).optional(),
});
const missing = z.strictObject({ ...common, status: z.literal('missing'), reason: z.string().min(1) });

export const CardSchema = z.strictObject({
  schema: z.literal(CARD_SCHEMA),
  schemaVersion: z.literal(CARD_SCHEMA_VERSION),
  device: z.string(),
  protocol: z.strictObject({ id: z.string(), version: z.string() }),
  runIds: z.array(z.number().int()),
  runStatus: z.string(),
  source: z.enum(CARD_SOURCES).describe('simulated bench, real instruments, or an imported file'),
  analysisVersion: z.string(),
  conditions,
  metrics: z.array(z.discriminatedUnion('status', [present, missing])),
  instruments: z
    .array(z.strictObject({ id: z.string(), role: z.string(), model: z.string(), idn: z.string(), settings: z.record(z.string(), z.union([z.number(), z.string()])).optional() }))
    .optional()
    .describe('the instruments and the settings each reported at the start of the run'),
});

export function parseCard(raw: unknown, source: string): BenchmarkCard {
  const r = CardSchema.safeParse(raw);
  if (!r.success) throw new Error(`${source} is not a valid benchmark card: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  return r.data as BenchmarkCard;
}

export function cardJsonSchema(): Record<string, unknown> {
  return { $id: `https://neuroprobe.invalid/schemas/${CARD_SCHEMA}/${CARD_SCHEMA_VERSION}`, title: 'NeuroProbe benchmark card', ...z.toJSONSchema(CardSchema) };
}
