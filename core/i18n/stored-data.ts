import type { QuestionSource, TurnStatus, UserExport, UserSettings } from '../../storage/index.js';

/** The sentences of the "my data" reply in one language; the walk over the data is shared. */
export interface StoredDataPhrases {
  readonly heading: string;
  readonly account: (platform: string, platformUserId: string, since: string) => string;
  readonly settings: (settings: UserSettings, changedByUser: boolean) => string;
  readonly totals: (conversations: number, questions: number, photos: number) => string;
  readonly conversation: (position: number, startedAt: string, current: boolean) => string;
  /** `withFindings`: the text and barcodes read from it are kept with it. */
  readonly photo: (width: number, height: number, deletedAt: string, withFindings: boolean) => string;
  readonly question: (source: QuestionSource, text: string) => string;
  readonly answer: (status: TurnStatus, text: string) => string;
  readonly closing: string;
}

/** Times as a person reads them, in UTC so the text is the same wherever the server runs. */
export function readableTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

export function describeStoredData(data: UserExport, phrases: StoredDataPhrases): string {
  const questions = data.conversations.reduce((sum, conversation) => sum + conversation.turns.length, 0);
  const photos = data.conversations.reduce((sum, conversation) => sum + conversation.media.length, 0);
  const lines = [
    phrases.heading,
    phrases.account(data.user.platform, data.user.platformUserId, readableTime(data.user.createdAt)),
    phrases.settings(data.settings, data.settingsStored),
    phrases.totals(data.conversations.length, questions, photos),
  ];
  data.conversations.forEach((conversation, index) => {
    lines.push('', phrases.conversation(index + 1, readableTime(conversation.startedAt), conversation.closedAt === null));
    for (const media of conversation.media) lines.push(phrases.photo(media.width, media.height, readableTime(media.expiresAt), media.hasFindings));
    for (const turn of conversation.turns) {
      lines.push(phrases.question(turn.questionSource, turn.question), phrases.answer(turn.status, turn.answer ?? ''));
    }
  });
  lines.push('', phrases.closing);
  return lines.join('\n');
}
