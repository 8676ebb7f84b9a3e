import { ApplicationCommandType, ContextMenuCommandBuilder, SlashCommandBuilder } from 'discord.js';
import { COMMAND_TABLE, MESSAGES, type Messages } from '../../core/index.js';

const DEFAULT_MESSAGES = MESSAGES.en;

export const DESCRIBE_COMMAND = 'describe';
/** Discord reports a context-menu command by its default name, whatever the user's locale. */
export const DESCRIBE_IMAGE_MENU = DEFAULT_MESSAGES.describeCommand.menuName;
/** The core's commands offered as slash commands: Discord has no first-contact command like /start. */
export const CORE_COMMANDS = COMMAND_TABLE.filter((command) => command.menu === 'always');
/** Answers that concern only the person asking stay private to them in a server. */
export const PRIVATE_COMMANDS: ReadonlySet<string> = new Set(
  COMMAND_TABLE.filter((command) => command.private).map((command) => command.name),
);

/** One text in every language Discord shows besides its default, keyed by Discord locale. */
function localised(text: (messages: Messages) => string): Record<string, string> {
  return { 'zh-CN': text(MESSAGES.zh) };
}

/** Slash commands and the message context-menu command, described in every language. */
export function commandDefinitions(): unknown[] {
  const core = CORE_COMMANDS.map((command) => {
    const { name } = command;
    const builder = new SlashCommandBuilder()
      .setName(name)
      .setDescription(DEFAULT_MESSAGES.commandDescriptions[name])
      .setDescriptionLocalizations(localised((messages) => messages.commandDescriptions[name]));
    if ('argument' in command) {
      const { argument } = command;
      builder.addStringOption((option) =>
        option
          .setName(argument.name)
          .setDescription(DEFAULT_MESSAGES.commandArgumentDescriptions[command.name])
          .setDescriptionLocalizations(localised((messages) => messages.commandArgumentDescriptions[command.name]))
          .setRequired(argument.required),
      );
    }
    return builder.toJSON();
  });
  const describe = new SlashCommandBuilder()
    .setName(DESCRIBE_COMMAND)
    .setDescription(DEFAULT_MESSAGES.describeCommand.description)
    .setDescriptionLocalizations(localised((messages) => messages.describeCommand.description))
    .addAttachmentOption((option) =>
      option
        .setName('image')
        .setDescription(DEFAULT_MESSAGES.describeCommand.imageOption)
        .setDescriptionLocalizations(localised((messages) => messages.describeCommand.imageOption))
        .setRequired(true),
    )
    .addStringOption((option) =>
      option
        .setName('question')
        .setDescription(DEFAULT_MESSAGES.describeCommand.questionOption)
        .setDescriptionLocalizations(localised((messages) => messages.describeCommand.questionOption))
        .setRequired(false),
    )
    .toJSON();
  const menu = new ContextMenuCommandBuilder()
    .setName(DESCRIBE_IMAGE_MENU)
    .setNameLocalizations(localised((messages) => messages.describeCommand.menuName))
    .setType(ApplicationCommandType.Message)
    .toJSON();
  return [describe, ...core, menu];
}
