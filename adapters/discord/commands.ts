import { ApplicationCommandType, ContextMenuCommandBuilder, Locale, SlashCommandBuilder } from 'discord.js';
import { COMMAND_TABLE, defaultLanguage, languages, type Messages } from '../../core/index.js';

/** What Discord shows where it has no localisation for the user's locale. */
const DEFAULT_MESSAGES = defaultLanguage().messages;
const DISCORD_LOCALES: ReadonlySet<string> = new Set(Object.values(Locale));

export const DESCRIBE_COMMAND = 'describe';
/** The attachment option of /describe and of the commands that act on a photo. */
export const PHOTO_OPTION = 'image';
/** The core's commands that take an attached photo (the command table's `photo` mark). */
export const PHOTO_COMMANDS: ReadonlySet<string> = new Set(COMMAND_TABLE.filter((command) => 'photo' in command).map((command) => command.name));
/** The free-text option of each core command that takes one. */
export const ARGUMENT_OPTIONS: ReadonlyMap<string, string> = new Map(
  COMMAND_TABLE.flatMap((command) => ('argument' in command ? [[command.name, command.argument.name] as const] : [])),
);
/** Discord reports a context-menu command by its default name, whatever the user's locale. */
export const DESCRIBE_IMAGE_MENU = DEFAULT_MESSAGES.describeCommand.menuName;
/** The core's commands offered as slash commands: Discord has no first-contact command like /start. */
export const CORE_COMMANDS = COMMAND_TABLE.filter((command) => command.menu === 'always');
/** Answers that concern only the person asking stay private to them in a server. */
export const PRIVATE_COMMANDS: ReadonlySet<string> = new Set(
  COMMAND_TABLE.filter((command) => command.private).map((command) => command.name),
);

/**
 * One text in every other language of the table, keyed by each of its locales Discord supports
 * (Discord localises by region: zh-CN, es-ES, es-419).
 */
function localised(text: (messages: Messages) => string): Record<string, string> {
  const localisations: Record<string, string> = {};
  for (const language of languages()) {
    if (language === defaultLanguage()) continue;
    for (const locale of language.locales) if (DISCORD_LOCALES.has(locale)) localisations[locale] = text(language.messages);
  }
  return localisations;
}

/** Slash commands and the message context-menu command, described in every language. */
export function commandDefinitions(): unknown[] {
  const core = CORE_COMMANDS.map((command) => {
    const { name } = command;
    const builder = new SlashCommandBuilder()
      .setName(name)
      .setDescription(DEFAULT_MESSAGES.commandDescriptions[name])
      .setDescriptionLocalizations(localised((messages) => messages.commandDescriptions[name]));
    if ('photo' in command) {
      // Optional: without one, the command acts on the conversation's latest photo.
      builder.addAttachmentOption((option) =>
        option
          .setName(PHOTO_OPTION)
          .setDescription(DEFAULT_MESSAGES.describeCommand.imageOption)
          .setDescriptionLocalizations(localised((messages) => messages.describeCommand.imageOption))
          .setRequired(false),
      );
    }
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
        .setName(PHOTO_OPTION)
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
