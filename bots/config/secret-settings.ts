import { z } from 'zod';

/**
 * A setting is secret when its field carries `.meta({ secret: true })`. zod keeps metadata on the
 * exact schema instance it was given to, so `.meta()` before `.optional()` or `.default()` would sit
 * on the inner schema: look through those wrappers too, so a misplaced mark still hides the value.
 */
export function isSecretField(field: z.core.$ZodType): boolean {
  let current: z.core.$ZodType | undefined = field;
  while (current) {
    if (z.globalRegistry.get(current)?.secret === true) return true;
    current = innerSchema(current);
  }
  return false;
}

function innerSchema(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) return schema.unwrap();
  if (schema instanceof z.ZodPipe) return schema.in;
  return undefined;
}

/** The names of the secret settings of a settings object, for the config errors and the logger. */
export function secretSettingNames(settings: z.ZodObject<z.ZodRawShape>): readonly string[] {
  return Object.entries(settings.shape)
    .filter(([, field]) => isSecretField(field))
    .map(([name]) => name);
}
