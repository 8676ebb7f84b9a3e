export type { Config } from './config-schema.js';
export { configFields, configSchema, SECRET_KEYS } from './config-schema.js';
export type { LoadConfigOptions } from './load-config.js';
export { ConfigError, loadConfig, redactConfig } from './load-config.js';
