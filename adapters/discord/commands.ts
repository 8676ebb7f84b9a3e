import { ApplicationCommandType, ContextMenuCommandBuilder, SlashCommandBuilder } from 'discord.js';
import { MESSAGES, type CommandName } from '../../core/index.js';

export const DESCRIBE_COMMAND = 'describe';
export const DESCRIBE_IMAGE_MENU = 'Describe image';
/** The core's commands Discord users reach by slash command; /start is Telegram's convention. */
export const CORE_COMMANDS: readonly CommandName[] = ['help', 'new', 'settings', 'mydata', 'forget'];
/** Answers that concern only the person asking stay private to them in a server. */
export const PRIVATE_COMMANDS: ReadonlySet<string> = new Set(['help', 'new', 'settings', 'mydata', 'forget']);

/** Slash commands and the message context-menu command, described in English and Chinese. */
export function commandDefinitions(): unknown[] {
  const core = CORE_COMMANDS.map((name) => {
    const builder = new SlashCommandBuilder()
      .setName(name)
      .setDescription(MESSAGES.en.commandDescriptions[name])
      .setDescriptionLocalizations({ 'zh-CN': MESSAGES.zh.commandDescriptions[name] });
    if (name === 'settings') {
      builder.addStringOption((option) =>
        option
          .setName('change')
          .setDescription('For example: length short, language zh, streaming off')
          .setDescriptionLocalizations({ 'zh-CN': '例如：length short、language zh' })
          .setRequired(false),
      );
    }
    return builder.toJSON();
  });
  const describe = new SlashCommandBuilder()
    .setName(DESCRIBE_COMMAND)
    .setDescription('Describe a photo, or answer a question about it')
    .setDescriptionLocalizations({ 'zh-CN': '描述一张照片，或回答关于它的问题' })
    .addAttachmentOption((option) =>
      option.setName('image').setDescription('The photo').setDescriptionLocalizations({ 'zh-CN': '照片' }).setRequired(true),
    )
    .addStringOption((option) =>
      option
        .setName('question')
        .setDescription('What you want to know, for example: is the light on?')
        .setDescriptionLocalizations({ 'zh-CN': '你想知道什么，例如：灯开着吗？' })
        .setRequired(false),
    )
    .toJSON();
  const menu = new ContextMenuCommandBuilder()
    .setName(DESCRIBE_IMAGE_MENU)
    .setNameLocalizations({ 'zh-CN': '描述图片' })
    .setType(ApplicationCommandType.Message)
    .toJSON();
  return [describe, ...core, menu];
}
