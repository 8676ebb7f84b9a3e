import { DEFAULT_SETTINGS, type Store, type UserKey, type UserSettings } from '../../storage/index.js';
import { languages, type Messages } from '../i18n/index.js';
import { canonicalCommand } from './command-table.js';
import { parseSettingsArgument } from './settings-argument.js';

export interface CommandContext {
  readonly store: Store;
  readonly user: UserKey;
  readonly chatId: string;
  readonly messages: Messages;
  /** How long photos are kept, for the welcome to say. */
  readonly mediaRetentionHours: number;
  /** The messages for the language the user has just chosen, so the confirmation is in it. */
  readonly messagesAfter: (settings: UserSettings) => Messages;
  /** The server can make voice replies; the settings say so when it cannot. */
  readonly canSpeak?: boolean;
}

export interface CommandOutcome {
  /** The text to send back; may be long (my data), the caller splits it. */
  readonly text: string;
  /** For the log: which command ran, never its content. */
  readonly command: string;
}

/**
 * The commands every platform shares. Personal-data commands read and delete through the store,
 * so what the user hears is exactly what is stored.
 */
export function runCommand(name: string, argument: string, context: CommandContext): CommandOutcome {
  const { store, messages } = context;
  const command = canonicalCommand(name);
  const languageCodes = languages().map((language) => language.code);
  switch (command) {
    case 'start':
      return { command, text: messages.welcome(context.mediaRetentionHours) };
    case 'help':
      return { command, text: messages.help };
    case 'new': {
      const user = store.findUser(context.user);
      if (user) store.closeConversation(user.id, context.chatId);
      return { command, text: messages.newConversation };
    }
    case 'settings': {
      // Looking at the settings stores nothing; only a change creates the user's row.
      if (!argument) {
        const existing = store.findUser(context.user);
        return { command, text: messages.settings(existing ? store.getSettings(existing.id) : DEFAULT_SETTINGS, languageCodes, context.canSpeak ?? false) };
      }
      const user = store.ensureUser(context.user);
      const patch = parseSettingsArgument(argument);
      if (!patch) return { command, text: messages.settingsNotUnderstood(argument, languageCodes) };
      const updated = store.updateSettings(user.id, patch);
      return { command, text: context.messagesAfter(updated).settingsUpdated(updated, context.canSpeak ?? false) };
    }
    case 'mydata': {
      const user = store.findUser(context.user);
      const data = user && store.exportUser(user.id);
      return { command, text: data ? messages.myData(data) : messages.noDataStored };
    }
    case 'forget': {
      const user = store.findUser(context.user);
      if (!user) return { command, text: messages.nothingToForget };
      return { command, text: messages.forgotten(store.forgetUser(user.id)) };
    }
    case 'read':
    case 'color':
      // They need the photo and the engines that look at it: the assistant answers them.
      throw new Error(`/${command} is a photo command, answered by the assistant`);
    case undefined:
      return { command: 'unknown', text: messages.unknownCommand(name) };
  }
}
