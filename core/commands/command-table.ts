/**
 * The one list of the commands every platform shares. Adapters build their menus and slash
 * commands from it, the parser reads the aliases, and the catalogues describe each name. It
 * imports nothing, so both core/commands and core/i18n can read it without importing each other.
 */
export interface CommandDefinition {
  /** The name platforms register and the core answers to. */
  readonly name: string;
  /** Other spellings people type; they run the same command but are never shown in menus. */
  readonly aliases: readonly string[];
  /** The answer concerns only the person asking, so in a shared room it is shown to them alone. */
  readonly private: boolean;
  /**
   * `always`: every platform offers it in its command menu. `greeting`: the command that opens a
   * first conversation, offered only where that is the platform's convention; elsewhere a user
   * starts by just writing, and /help says the same thing.
   */
  readonly menu: 'always' | 'greeting';
  /** One optional free-text argument, for platforms that declare arguments (slash-command options). */
  readonly argument?: { readonly name: string; readonly required: boolean };
  /**
   * It acts on a photo: the one sent with it (a caption, an attachment option) or else the
   * conversation's latest. The assistant answers it, not the data commands' runner.
   */
  readonly photo?: true;
}

export const COMMAND_TABLE = [
  { name: 'start', aliases: [], private: false, menu: 'greeting' },
  { name: 'help', aliases: [], private: true, menu: 'always' },
  // What people ask for most after descriptions, so early in every menu.
  { name: 'read', aliases: ['ocr'], private: false, menu: 'always', photo: true },
  { name: 'color', aliases: ['colour', 'colors', 'colours'], private: false, menu: 'always', photo: true },
  { name: 'new', aliases: ['reset'], private: true, menu: 'always' },
  {
    name: 'settings',
    aliases: ['setting'],
    private: true,
    menu: 'always',
    argument: { name: 'change', required: false },
  },
  { name: 'mydata', aliases: ['my_data', 'data'], private: true, menu: 'always' },
  { name: 'forget', aliases: ['forgetme', 'forget_me'], private: true, menu: 'always' },
] as const satisfies readonly CommandDefinition[];

export type CommandName = (typeof COMMAND_TABLE)[number]['name'];
/** The commands that take an argument; the catalogues describe each argument for menus. */
export type CommandWithArgument = Extract<(typeof COMMAND_TABLE)[number], { argument: object }>['name'];

/** The canonical command for a typed name or alias, any letter case. */
export function canonicalCommand(name: string): CommandName | undefined {
  const typed = name.toLowerCase();
  return COMMAND_TABLE.find((command) => command.name === typed || (command.aliases as readonly string[]).includes(typed))?.name;
}

/** The commands that act on a photo (the `photo` mark). */
export function isPhotoCommand(name: string): boolean {
  return COMMAND_TABLE.some((command) => command.name === name && 'photo' in command);
}
