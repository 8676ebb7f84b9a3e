export type CommandName = 'start' | 'help' | 'new' | 'settings' | 'mydata' | 'forget';

/** Spellings people use for each command; adapters register the canonical names. */
const ALIASES: Record<string, CommandName> = {
  start: 'start',
  help: 'help',
  new: 'new',
  reset: 'new',
  settings: 'settings',
  setting: 'settings',
  mydata: 'mydata',
  my_data: 'mydata',
  data: 'mydata',
  forget: 'forget',
  forgetme: 'forget',
  forget_me: 'forget',
};

export const COMMAND_NAMES: readonly CommandName[] = ['start', 'help', 'new', 'settings', 'mydata', 'forget'];

export function canonicalCommand(name: string): CommandName | undefined {
  return ALIASES[name.toLowerCase()];
}
