import type { ChatMessage, ContentPart } from '../models/index.js';
import type { TurnRecord } from '../../storage/index.js';

export interface PromptImage {
  readonly mediaType: string;
  readonly data: Uint8Array;
  /** Alt text the sender attached (e.g. a Discord attachment description): untrusted. */
  readonly description?: string;
}

export interface PromptInput {
  readonly systemPrompt: string;
  /** Earlier finished turns of the conversation, oldest first. */
  readonly history: readonly TurnRecord[];
  readonly question: string;
  readonly questionSource: 'text' | 'voice';
  /** The images this question is about: new ones, or the conversation's latest. */
  readonly images: readonly PromptImage[];
  /** True when the images are re-used from an earlier turn rather than sent now. */
  readonly imagesFromEarlierTurn: boolean;
  /** Tokens the history may take. */
  readonly historyTokenBudget: number;
  readonly countTokens: (text: string) => number;
}

export interface BuiltPrompt {
  readonly messages: ChatMessage[];
  /** How many earlier turns did not fit the budget and were left out. */
  readonly droppedTurns: number;
}

/**
 * Builds the chat messages for one turn: the system prompt, as much recent history as fits the
 * budget (oldest dropped first), and the question with its images. Images are attached to the
 * current message only, so the latest photo is always kept whatever the history budget.
 */
export function buildPrompt(input: PromptInput): BuiltPrompt {
  const kept = fitHistory(input.history, input.historyTokenBudget, input.countTokens);
  const messages: ChatMessage[] = [{ role: 'system', content: [{ type: 'text', text: input.systemPrompt }] }];
  for (const turn of kept) {
    messages.push({ role: 'user', content: [{ type: 'text', text: questionText(turn.question, turn.questionSource) }] });
    messages.push({ role: 'assistant', content: [{ type: 'text', text: turn.answer ?? '' }] });
  }
  messages.push({ role: 'user', content: currentContent(input) });
  return { messages, droppedTurns: input.history.length - kept.length };
}

function fitHistory(
  history: readonly TurnRecord[],
  budget: number,
  countTokens: (text: string) => number,
): readonly TurnRecord[] {
  let used = 0;
  let firstKept = history.length;
  for (let index = history.length - 1; index >= 0; index -= 1) {
    const turn = history[index]!;
    const cost = countTokens(turn.question) + countTokens(turn.answer ?? '');
    if (used + cost > budget) break;
    used += cost;
    firstKept = index;
  }
  return history.slice(firstKept);
}

function currentContent(input: PromptInput): ContentPart[] {
  const parts: ContentPart[] = input.images.map((image) => ({
    type: 'file',
    mediaType: image.mediaType,
    data: image.data,
  }));
  const notes: string[] = [];
  if (input.imagesFromEarlierTurn && input.images.length > 0) {
    notes.push(input.images.length === 1 ? '(The photo from earlier in the conversation.)' : '(The photos from earlier in the conversation.)');
  }
  input.images.forEach((image, index) => {
    if (image.description) {
      notes.push(untrusted(`alt text of image ${index + 1}`, image.description));
    }
  });
  notes.push(questionText(input.question, input.questionSource));
  parts.push({ type: 'text', text: notes.join('\n') });
  return parts;
}

/** A spoken question is the user's question, but its words came from speech recognition: untrusted. */
function questionText(question: string, source: 'text' | 'voice'): string {
  return source === 'voice' ? untrusted('voice transcript of the question', question) : question;
}

function untrusted(label: string, text: string): string {
  // Angle quotes cannot be closed from inside by the quoted text's own quotation marks.
  const cleaned = text.replaceAll('«', '"').replaceAll('»', '"');
  return `Untrusted ${label}: «${cleaned}»`;
}
