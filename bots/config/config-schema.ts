import { z } from 'zod';
import { findPreset } from '../../core/models/presets.js';
import { parseUserIdList } from '../../core/scheduling/access-policy.js';
import { PLATFORM_SETTINGS } from '../registry.js';
import { coreSettings } from './core-settings.js';
import { urlField } from './field-schema.js';
import { secretSettingNames } from './secret-settings.js';

type SettingsObject = z.ZodObject<z.ZodRawShape>;

/** `A | B` to `A & B`: the fields of every platform's settings at once. */
type Intersection<Union> = (Union extends unknown ? (value: Union) => void : never) extends (value: infer Both) => void ? Both : never;

type ComposedShape<Core extends SettingsObject, Platforms extends readonly SettingsObject[]> = Core['shape'] &
  Intersection<Platforms[number]['shape']>;

/**
 * One flat object of the core's settings and every platform's, so `config.TELEGRAM_API_ROOT` reads
 * as the variable is named. A name declared twice is a programming error, found at start-up.
 */
export function composeSettings<Core extends SettingsObject, Platforms extends readonly SettingsObject[]>(
  core: Core,
  platforms: Platforms,
): z.ZodObject<ComposedShape<Core, Platforms>> {
  const shape: Record<string, z.core.$ZodType> = { ...core.shape };
  for (const platform of platforms) {
    for (const [name, field] of Object.entries(platform.shape)) {
      if (name in shape) throw new Error(`The setting ${name} is declared twice.`);
      shape[name] = field;
    }
  }
  // The loop builds exactly the fields the type names; TypeScript cannot follow it through a loop.
  return z.object(shape) as z.ZodObject<ComposedShape<Core, Platforms>>;
}

/** Every setting the program reads, with its default. `.env.example` mirrors this list; a test keeps the two in step. */
export const configFields = composeSettings(coreSettings, PLATFORM_SETTINGS);

/**
 * Where the credentials of a URL setting belong instead: a user name or password inside a URL ends
 * up wherever the URL is shown (logs, error messages), and a key has its own secret setting.
 */
const CREDENTIAL_SETTINGS: Readonly<Record<string, string>> = { VLM_BASE_URL: 'VLM_API_KEY', HF_ENDPOINT: 'HF_TOKEN' };

/** The setting a URL's credentials belong in, for the one-line error; undefined when there is none. */
export function credentialSettingFor(urlSetting: string): string | undefined {
  return Object.hasOwn(CREDENTIAL_SETTINGS, urlSetting) ? CREDENTIAL_SETTINGS[urlSetting] : undefined;
}

/** True when a URL carries a user name or password (`https://user:password@host`). */
export function hasCredentials(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

export const configSchema = configFields
  .superRefine((config, context) => {
    // Every URL setting, the platforms' too: credentials are refused, never echoed (see load-config).
    for (const [name, field] of Object.entries(configFields.shape)) {
      const value: unknown = config[name as keyof typeof config];
      if (urlField(field) && typeof value === 'string' && hasCredentials(value)) {
        context.addIssue({ code: 'custom', path: [name], message: 'a URL without a user name or password', params: { credentials: true } });
      }
    }
    if (config.VLM_BACKEND === 'openai' && !config.VLM_BASE_URL) {
      context.addIssue({
        code: 'custom',
        path: ['VLM_BASE_URL'],
        message: 'a URL such as http://gpu-host:8000/v1 when VLM_BACKEND is openai',
      });
    }
    for (const name of ['ALLOWED_USERS', 'ADMIN_USERS'] as const) {
      try {
        if (config[name]) parseUserIdList(config[name]);
      } catch (error) {
        context.addIssue({ code: 'custom', path: [name], message: `platform:userId entries separated by commas, such as telegram:123456789 (${(error as Error).message})` });
      }
    }
    if (config.STT_BACKEND === 'openai' && !config.STT_BASE_URL) {
      context.addIssue({
        code: 'custom',
        path: ['STT_BASE_URL'],
        message: 'a URL such as http://gpu-host:8001/v1 when STT_BACKEND is openai',
      });
    }
    if (config.STT_BACKEND === 'openai' && findPreset(config.STT_MODEL)) {
      context.addIssue({
        code: 'custom',
        path: ['STT_MODEL'],
        message: `the name of the speech model your server serves (such as openai/whisper-large-v3-turbo) when STT_BACKEND is openai, not the embedded preset ${config.STT_MODEL}`,
      });
    }
    // A preset names files for the embedded backend; a server would answer 404 for it on every question.
    if (config.VLM_BACKEND === 'openai' && findPreset(config.VLM_MODEL)) {
      context.addIssue({
        code: 'custom',
        path: ['VLM_MODEL'],
        message: `the name of the model your server serves (its /v1/models lists it) when VLM_BACKEND is openai, not the embedded preset ${config.VLM_MODEL}`,
      });
    }
  })
  .transform((config) => ({ ...config, STT_DEVICE: config.STT_DEVICE ?? config.VLM_DEVICE }));

export type Config = z.output<typeof configSchema>;

/** Settings whose values never reach a log line or an error message: those marked secret where they are declared. */
export const SECRET_SETTING_NAMES: readonly string[] = secretSettingNames(configFields);
