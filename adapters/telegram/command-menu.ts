import { COMMAND_TABLE, defaultLanguage, languages, type Messages } from '../../core/index.js';

export interface TelegramCommandMenu {
  /** Telegram's language_code (the table's code); absent for the menu of everyone else. */
  readonly languageCode?: string;
  readonly commands: { command: string; description: string }[];
}

/** Telegram lists every command, /start included: it is how a Telegram chat begins. */
function menuIn(messages: Messages): TelegramCommandMenu['commands'] {
  return COMMAND_TABLE.map((command) => ({ command: command.name, description: messages.commandDescriptions[command.name] }));
}

/** The command menus to register: the default language's without a code, then one per other language. */
export function telegramCommandMenus(): TelegramCommandMenu[] {
  const fallback = defaultLanguage();
  return [
    { commands: menuIn(fallback.messages) },
    ...languages()
      .filter((language) => language !== fallback)
      .map((language) => ({ languageCode: language.code, commands: menuIn(language.messages) })),
  ];
}
