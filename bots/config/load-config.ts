import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import type { z } from 'zod';
import { configFields, configSchema, credentialSettingFor, SECRET_SETTING_NAMES, type Config } from './config-schema.js';
import { isWholeNumberField, urlField } from './field-schema.js';

/** Start-up stops with this; its message is one line meant for the person running the program. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  readonly environment?: NodeJS.ProcessEnv;
  /** Path of an optional `.env` file; the environment wins over it. */
  readonly envFile?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const environment = options.environment ?? process.env;
  const envFile = options.envFile ?? '.env';
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile, ...environment };
  // An empty value in .env means "not set", as in most tools; zod would otherwise reject it.
  for (const [key, value] of Object.entries(merged)) {
    if (value === '') delete merged[key];
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describeIssue(result.error.issues[0], merged));
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined, values: Record<string, string | undefined>): string {
  if (!issue) return 'Configuration is invalid.';
  const name = String(issue.path[0] ?? 'configuration');
  const field = Object.hasOwn(configFields.shape, name) ? (configFields.shape as Record<string, z.core.$ZodType>)[name] : undefined;
  const fix = 'Set it in .env or the environment (see .env.example).';
  if (issue.code === 'custom' && issue.params?.credentials === true) {
    const home = credentialSettingFor(name);
    const instead = home ? ` and put the key in ${home} instead` : '';
    return `Configuration: ${name} has a user name or password in it, which would show in logs; remove them from the URL${instead}. ${fix}`;
  }
  const raw = Object.hasOwn(values, name) ? values[name] : undefined;
  const found =
    raw === undefined ? 'nothing' : SECRET_SETTING_NAMES.includes(name) ? `a value of ${characters(raw.length)}` : JSON.stringify(withoutCredentials(raw));
  return `Configuration: ${name} is ${found}; expected ${expectation(issue, field)}. ${fix}`;
}

function characters(count: number | bigint): string {
  return `${String(count)} ${Number(count) === 1 ? 'character' : 'characters'}`;
}

/** A value echoed in an error never shows a password, whatever else is wrong with it. */
function withoutCredentials(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1[hidden]@');
}

function expectation(issue: z.core.$ZodIssue, field: z.core.$ZodType | undefined): string {
  const whole = field !== undefined && isWholeNumberField(field);
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map(String).join(', ')}`;
    case 'too_small': {
      if (issue.origin === 'string') return `at least ${characters(issue.minimum)}`;
      // `.positive()` is "more than 0": for a whole number that is at least 1.
      if (issue.inclusive === false) return whole ? `a number of at least ${String(Number(issue.minimum) + 1)}` : `a number above ${String(issue.minimum)}`;
      return `a number of at least ${String(issue.minimum)}`;
    }
    case 'too_big': {
      if (issue.origin === 'string') return `at most ${characters(issue.maximum)}`;
      if (issue.inclusive === false) return whole ? `a number of at most ${String(Number(issue.maximum) - 1)}` : `a number below ${String(issue.maximum)}`;
      return `a number of at most ${String(issue.maximum)}`;
    }
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
    case 'invalid_format': {
      if (issue.format === 'url') {
        // Read from the field, not the issue: a value that is no URL at all carries no protocol.
        const protocol = (field && urlField(field)?.protocol?.source) ?? (issue as { pattern?: string }).pattern;
        return protocol === '^https$' ? 'a URL starting with https://' : 'a URL starting with http:// or https://';
      }
      // Every pattern in the settings carries a message saying what it wants ("a numeric server id").
      return issue.format === 'regex' ? issue.message : `a ${issue.format}`;
    }
    case 'custom':
      return issue.message;
    default:
      return issue.message;
  }
}

/** The configuration with secrets masked, for a start-up log line. */
export function redactConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      SECRET_SETTING_NAMES.includes(key) && value !== undefined ? '[set]' : value,
    ]),
  );
}
