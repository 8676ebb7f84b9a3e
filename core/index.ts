/** The core's public face: adapters and bots import from here only. */
export type { AssistantDependencies, AssistantLimits } from './assistant.js';
export { Assistant } from './assistant.js';
export type { IncomingImage, IncomingTurn, ReplyPart, TurnOptions } from './turn.js';
export type { Config } from './config/index.js';
export { ConfigError, loadConfig, redactConfig } from './config/index.js';
export type { Logger } from './log.js';
export { createLogger, silentLogger } from './log.js';
export { COMMAND_NAMES, parseCommand } from './commands/index.js';
export type { CommandName } from './commands/index.js';
export { MESSAGES, messagesFor, resolveLanguage } from './i18n/index.js';
export type { LanguageCode, Messages } from './i18n/index.js';
export type { ImageLimits, MediaErrorKind, PreparedImage } from './media/index.js';
export { DEFAULT_IMAGE_LIMITS, MediaError, preprocessImage, readImageFile } from './media/index.js';
export { startRetentionSweeper } from './retention-sweeper.js';
export type * from './models/index.js';
export { isModelError, ModelError } from './models/index.js';
