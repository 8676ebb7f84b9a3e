export interface ParsedCommand {
  readonly name: string;
  readonly argument: string;
}

/**
 * Reads `/name argument` from typed text. Telegram appends the bot's name in groups
 * (`/help@seed_bot`); that part is dropped here so every platform can share one parser.
 */
export function parseCommand(text: string | undefined): ParsedCommand | undefined {
  const match = text?.trim().match(/^\/([\p{L}\p{N}_-]+)(?:@[\w]+)?(?:\s+([\s\S]*))?$/u);
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), argument: (match[2] ?? '').trim() };
}
