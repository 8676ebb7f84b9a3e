import { z } from 'zod';
import { schemaLayers } from './field-schema.js';

/**
 * A setting is secret when its field carries `.meta({ secret: true })`. zod keeps metadata on the
 * exact schema instance it was given to, so `.meta()` before `.optional()` or `.default()` would sit
 * on the inner schema: look through those wrappers too, so a misplaced mark still hides the value.
 */
export function isSecretField(field: z.core.$ZodType): boolean {
  return schemaLayers(field).some((layer) => z.globalRegistry.get(layer)?.secret === true);
}

/** The names of the secret settings of a settings object, for the config errors and the logger. */
export function secretSettingNames(settings: z.ZodObject<z.ZodRawShape>): readonly string[] {
  return Object.entries(settings.shape)
    .filter(([, field]) => isSecretField(field))
    .map(([name]) => name);
}
