export type { Config } from './config-schema.js';
export { composeSettings, configFields, configSchema, SECRET_SETTING_NAMES } from './config-schema.js';
export { coreSettings } from './core-settings.js';
export type { LoadConfigOptions } from './load-config.js';
export { ConfigError, loadConfig, redactConfig } from './load-config.js';
export { isSecretField, secretSettingNames } from './secret-settings.js';
