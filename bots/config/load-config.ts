import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import type { z } from 'zod';
import { configSchema, SECRET_SETTING_NAMES, type Config } from './config-schema.js';

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
  const raw = values[name];
  const found =
    raw === undefined ? 'nothing' : SECRET_SETTING_NAMES.includes(name) ? `a value of ${raw.length} characters` : JSON.stringify(raw);
  return `Configuration: ${name} is ${found}; expected ${expectation(issue)}. Set it in .env or the environment (see .env.example).`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? `at least ${String(issue.minimum)} characters` : `a number of at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' ? `at most ${String(issue.maximum)} characters` : `a number of at most ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'number' ? 'a whole number' : `a ${issue.expected}`;
    case 'invalid_format':
      if (issue.format === 'url') return issue.pattern === '^https$' ? 'a URL starting with https://' : 'a URL starting with http:// or https://';
      // Every pattern in the settings carries a message saying what it wants ("a numeric server id").
      return issue.format === 'regex' ? issue.message : `a ${issue.format}`;
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
