export type { CommandName } from './command-names.js';
export { canonicalCommand, COMMAND_NAMES } from './command-names.js';
export type { ParsedCommand } from './parse-command.js';
export { parseCommand } from './parse-command.js';
export type { CommandContext, CommandOutcome } from './run-command.js';
export { runCommand } from './run-command.js';
