import { z } from 'zod';

/**
 * The schema a setting's field wraps: `.optional()`, `.nullable()`, `.default()` and a
 * `.transform()` pipe each hold another schema inside. zod keeps metadata and checks on the exact
 * instance they were given to, so readers of a field look through these layers.
 */
export function innerSchema(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) return schema.unwrap();
  if (schema instanceof z.ZodPipe) return schema.in;
  return undefined;
}

/** The field and every schema inside it, outermost first. */
export function schemaLayers(field: z.core.$ZodType): z.core.$ZodType[] {
  const layers: z.core.$ZodType[] = [];
  for (let current: z.core.$ZodType | undefined = field; current; current = innerSchema(current)) layers.push(current);
  return layers;
}

/** For a URL setting, the protocols it accepts (`/^https$/`); undefined for any other setting. */
export function urlField(field: z.core.$ZodType): { readonly protocol?: RegExp } | undefined {
  const url = schemaLayers(field).find((layer): layer is z.ZodURL => layer instanceof z.ZodURL);
  if (!url) return undefined;
  const { protocol } = url._zod.def;
  return protocol ? { protocol } : {};
}

/** True for a whole-number setting (`z.number().int()`). */
export function isWholeNumberField(field: z.core.$ZodType): boolean {
  return schemaLayers(field).some((layer) => layer instanceof z.ZodNumber && layer.isInt === true);
}
