export type { CommandDefinition, CommandName, CommandWithArgument } from './command-table.js';
export { canonicalCommand, COMMAND_TABLE, isPhotoCommand } from './command-table.js';
export type { ParsedCommand } from './parse-command.js';
export { parseCommand } from './parse-command.js';
export type { CommandContext, CommandOutcome } from './run-command.js';
export { runCommand } from './run-command.js';
