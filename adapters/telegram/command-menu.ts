import { COMMAND_TABLE, MESSAGES, type Messages } from '../../core/index.js';

export interface TelegramCommandMenu {
  /** Absent for the menu everyone without a menu of their own language sees. */
  readonly languageCode?: string;
  readonly commands: { command: string; description: string }[];
}

/** Telegram lists every command, /start included: it is how a Telegram chat begins. */
function menuIn(messages: Messages): TelegramCommandMenu['commands'] {
  return COMMAND_TABLE.map((command) => ({ command: command.name, description: messages.commandDescriptions[command.name] }));
}

/** The command menus to register: the default one first, then one per other language. */
export function telegramCommandMenus(): TelegramCommandMenu[] {
  return [{ commands: menuIn(MESSAGES.en) }, { languageCode: 'zh', commands: menuIn(MESSAGES.zh) }];
}
