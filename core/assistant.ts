import type { EventKey, MediaRecord, NewMedia, Store, UserKey, UserRecord, UserSettings } from '../storage/index.js';
import { parseCommand, runCommand } from './commands/index.js';
import { messagesFor, resolveLanguage, type Messages } from './i18n/index.js';
import { KeyedQueue } from './keyed-queue.js';
import type { Logger } from './log.js';
import { MediaError, preprocessImage, type ImageLimits } from './media/index.js';
import { isModelError, type VisionLanguageModel } from './models/index.js';
import { buildPrompt, buildSystemPrompt, estimateTokens, type PromptImage } from './prompt/index.js';
import { AnswerDelivery, splitForDelivery } from './reply/index.js';
import type { IncomingImage, IncomingTurn, ReplyPart, TurnOptions } from './turn.js';
import { hearQuestion, type VoiceDependencies } from './voice-question.js';

export interface AssistantLimits {
  readonly image: ImageLimits;
  readonly maxImagesPerTurn: number;
  readonly mediaRetentionMs: number;
  readonly historyTokenBudget: number;
  /** Most earlier turns read from memory before the token budget trims them. */
  readonly historyTurns: number;
}

export interface AssistantDependencies {
  readonly store: Store;
  readonly logger: Logger;
  /** Undefined until a model is set up; questions then get a message saying so. */
  readonly model: VisionLanguageModel | undefined;
  readonly limits: AssistantLimits;
  /** Voice questions; without it a voice note gets a message saying to type instead. */
  readonly voice?: VoiceDependencies;
}

/** How a turn ended, for recording its delivery: an aborted one must be answered when redelivered. */
type TurnOutcome = 'replied' | 'aborted';

const DRAFT_INTERVAL_MS = 1000;

const MAX_OUTPUT_TOKENS: Record<UserSettings['replyLength'], number> = { short: 120, normal: 320, detailed: 800 };

interface PreparedImages {
  readonly media: NewMedia[];
  readonly descriptions: (string | undefined)[];
  readonly problems: string[];
}

/**
 * The assistant: one incoming turn in, reply parts out. Commands, memory, the prompt, the model
 * and delivery rules live here once, so every platform behaves the same.
 */
export class Assistant {
  private readonly queue = new KeyedQueue();

  constructor(private readonly dependencies: AssistantDependencies) {}

  /**
   * Handles one turn. Never throws for anything a user can cause or a model can do: those become
   * `problem` parts. Turns of one user run one after another, in arrival order.
   */
  async *handle(turn: IncomingTurn, options: TurnOptions): AsyncGenerator<ReplyPart> {
    const release = await this.queue.acquire(`${turn.platform}:${turn.userId}`);
    const log = this.dependencies.logger.child({ platform: turn.platform });
    const event = turn.eventId === undefined ? undefined : { platform: turn.platform, eventId: turn.eventId };
    try {
      if (event && this.dependencies.store.isEventProcessed(event)) {
        log.info({ eventId: event.eventId }, 'delivery already answered; skipped');
        return;
      }
      const outcome = yield* this.handleInOrder(turn, options, log, event);
      // Turns record their delivery with the turn itself; everything else once its reply is out.
      // An aborted turn is left unrecorded so that the redelivery after a restart answers it.
      if (event && outcome !== 'aborted') this.dependencies.store.recordEvent(event);
    } catch (error) {
      log.error({ err: error }, 'turn failed unexpectedly');
      const messages = messagesFor(resolveLanguage('auto', turn.text, turn.languageHint));
      yield { type: 'problem', text: messages.unexpectedError, reason: 'internal' };
    } finally {
      release();
    }
  }

  /** Records which platform message carried an answer, so a reply to it continues that conversation. */
  recordDelivery(turnId: number, platformMessageId: string): void {
    this.dependencies.store.recordDelivery(turnId, platformMessageId);
  }

  private async *handleInOrder(
    turn: IncomingTurn,
    options: TurnOptions,
    log: Logger,
    event: EventKey | undefined,
  ): AsyncGenerator<ReplyPart, TurnOutcome> {
    const { store } = this.dependencies;
    const key: UserKey = { platform: turn.platform, platformUserId: turn.userId };
    const existing = store.findUser(key);
    const settings = existing ? store.getSettings(existing.id) : undefined;
    // A voice transcript is the user's words as heard by a machine: it never runs a command.
    const command = turn.command ?? (turn.textSource === 'voice' ? undefined : parseCommand(turn.text));
    // A command's name says nothing about the user's language; the platform's hint does.
    const writtenText = command ? undefined : turn.text;
    let messages = messagesFor(resolveLanguage(settings?.language ?? 'auto', writtenText, turn.languageHint));
    if (command) {
      const outcome = runCommand(command.name, command.argument, {
        store,
        user: key,
        chatId: turn.chatId,
        messages,
        messagesAfter: (updated) => messagesFor(resolveLanguage(updated.language, undefined, turn.languageHint)),
      });
      log.info({ command: outcome.command }, 'command');
      for (const text of splitForDelivery(outcome.text, options.maxPartLength)) yield { type: 'reply', text };
      return 'replied';
    }
    if (turn.unsupportedContent) {
      log.info({ content: turn.unsupportedContent }, 'unsupported content');
      yield { type: 'reply', text: messages.unsupportedContent(turn.unsupportedContent) };
      return 'replied';
    }

    const images = turn.images ?? [];
    const audio = turn.audio?.[0];
    let question = turn.text?.trim() ?? '';
    if (images.length === 0 && !question && !audio) {
      yield { type: 'reply', text: messages.emptyTurn };
      return 'replied';
    }

    const { model } = this.dependencies;
    if (!model) {
      log.warn('no vision model is set up; answered with the setup message');
      yield { type: 'problem', text: messages.modelNotSetUp, reason: 'model-not-set-up' };
      return 'replied';
    }

    let questionSource = turn.textSource ?? 'text';
    let spokenLanguage: string | undefined;
    if (audio) {
      const pinned = settings?.language ?? 'auto';
      const heard = await hearQuestion(audio, {
        voice: this.dependencies.voice ?? { speech: undefined, limits: { maxBytes: 0, maxSeconds: 0 } },
        language: pinned === 'auto' ? undefined : pinned,
        messages,
        log,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!heard.heard) {
        if (heard.aborted) return 'aborted';
        yield { type: 'problem', text: heard.text, reason: heard.reason };
        return 'replied';
      }
      // Typed words beside a voice note (a caption) go first; together they are the question.
      question = [question, heard.transcript.text].filter(Boolean).join('\n');
      questionSource = 'voice';
      spokenLanguage = heard.transcript.language;
      // The language the user spoke in is the language of this reply, unless they pinned one.
      messages = messagesFor(resolveLanguage(pinned, undefined, spokenLanguage));
      if (settings?.voiceEcho === 'on') yield { type: 'notice', text: messages.heardAs(heard.transcript.text) };
    }

    const maxImages = Math.min(this.dependencies.limits.maxImagesPerTurn, model.capabilities.maxImages);
    if (images.length > maxImages) yield { type: 'notice', text: messages.tooManyImages(maxImages, images.length) };
    const prepared = await this.prepareImages(images.slice(0, maxImages), images.length, messages, log);
    for (const text of prepared.problems) yield { type: 'problem', text, reason: 'bad-image' };
    // Every photo failed: the question was about them, so answering it about an older photo would mislead.
    if (images.length > 0 && prepared.media.length === 0) return 'replied';

    const user = existing ?? store.ensureUser(key);
    return yield* this.answer(turn, options, log, event, {
      user,
      settings: settings ?? store.getSettings(user.id),
      messages,
      model,
      question,
      questionSource,
      ...(spokenLanguage ? { spokenLanguage } : {}),
      prepared,
    });
  }

  private async *answer(
    turn: IncomingTurn,
    options: TurnOptions,
    log: Logger,
    event: EventKey | undefined,
    context: {
      user: UserRecord;
      settings: UserSettings;
      messages: Messages;
      model: VisionLanguageModel;
      question: string;
      questionSource: 'text' | 'voice';
      spokenLanguage?: string;
      prepared: PreparedImages;
    },
  ): AsyncGenerator<ReplyPart, TurnOutcome> {
    const { store, limits } = this.dependencies;
    const { user, settings, messages, model, prepared } = context;
    const { conversationId, repliedTurnId } = this.conversationFor(user, turn);
    // Read before this turn is written, so the history is strictly earlier turns.
    const history = store.recentTurns(conversationId, limits.historyTurns);
    const earlierMedia = prepared.media.length === 0 ? store.latestMedia(conversationId, repliedTurnId) : [];

    const { questionSource } = context;
    const begun = store.beginTurn({
      conversationId,
      userId: user.id,
      question: context.question,
      questionSource,
      ...(turn.messageId === undefined ? {} : { incomingMessageId: turn.messageId }),
      media: prepared.media,
      mediaRetentionMs: limits.mediaRetentionMs,
    });
    const turnId = begun.turn.id;
    const promptImages: PromptImage[] =
      begun.media.length > 0 ? withDescriptions(begun.media, prepared.descriptions) : withDescriptions(earlierMedia, []);
    const prompt = buildPrompt({
      systemPrompt: buildSystemPrompt({
        ...settings,
        ...(context.spokenLanguage ? { spokenLanguage: context.spokenLanguage } : {}),
      }),
      history,
      question: context.question || messages.defaultPhotoQuestion,
      questionSource,
      images: promptImages,
      imagesFromEarlierTurn: begun.media.length === 0 && earlierMedia.length > 0,
      historyTokenBudget: limits.historyTokenBudget,
      countTokens: model.countTokens ? (text) => model.countTokens!(text) : estimateTokens,
    });
    log.info(
      {
        turnId,
        images: promptImages.length,
        reusedImages: begun.media.length === 0 && earlierMedia.length > 0,
        historyTurns: history.length - prompt.droppedTurns,
        droppedTurns: prompt.droppedTurns,
        questionChars: context.question.length,
        source: questionSource,
      },
      'turn started',
    );

    const delivery = new AnswerDelivery(options.maxPartLength);
    const started = performance.now();
    try {
      const stream = model.generate({
        messages: prompt.messages,
        maxOutputTokens: MAX_OUTPUT_TOKENS[settings.replyLength],
        ...(options.signal ? { signal: options.signal } : {}),
      });
      let timing: { firstTokenMs: number; tokensPerSecond?: number } | undefined;
      const drafting = options.supportsDrafts === true && settings.streaming === 'edits';
      let lastDraftAt = Number.NEGATIVE_INFINITY;
      for await (const part of stream) {
        if (part.type === 'finish') {
          timing = part.timing;
          continue;
        }
        if (!drafting) {
          for (const chunk of delivery.push(part.text)) yield { type: 'answer', ...chunk, turnId };
          continue;
        }
        delivery.append(part.text);
        // Platforms rate-limit edits, and each edit costs the user nothing only if it is rare.
        if (performance.now() - lastDraftAt >= DRAFT_INTERVAL_MS && delivery.text) {
          lastDraftAt = performance.now();
          yield { type: 'draft', text: delivery.draft(), turnId };
        }
      }
      const rest = delivery.finish();
      for (const chunk of rest) yield { type: 'answer', ...chunk, turnId };
      if (!delivery.text) throw new EmptyAnswerError();
      store.completeTurn(turnId, delivery.text, event);
      log.info(
        {
          turnId,
          ms: Math.round(performance.now() - started),
          firstTokenMs: timing && Math.round(timing.firstTokenMs),
          tokensPerSecond: timing?.tokensPerSecond && Math.round(timing.tokensPerSecond),
          answerChars: delivery.text.length,
        },
        'turn answered',
      );
    } catch (error) {
      const reason = failureReason(error);
      const answered = reason === 'aborted' ? undefined : event;
      store.failTurn(turnId, reason, delivery.deliveredText || undefined, answered);
      log.warn({ turnId, reason, err: error }, 'turn failed');
      if (reason === 'aborted') return 'aborted';
      yield { type: 'problem', text: problemText(reason, delivery.deliveredText !== '', messages), reason, turnId };
    }
    return 'replied';
  }

  /** The conversation a turn continues, and the turn it replies to when the user used the reply feature. */
  private conversationFor(user: UserRecord, turn: IncomingTurn): { conversationId: number; repliedTurnId?: number } {
    const { store } = this.dependencies;
    if (turn.replyTo) {
      const earlier = store.findTurnByMessage(user.id, turn.chatId, turn.replyTo.messageId);
      if (earlier) return { conversationId: earlier.conversationId, repliedTurnId: earlier.id };
    }
    return { conversationId: store.currentConversation(user.id, turn.chatId).id };
  }

  private async prepareImages(
    images: readonly IncomingImage[],
    sent: number,
    messages: Messages,
    log: Logger,
  ): Promise<PreparedImages> {
    const media: NewMedia[] = [];
    const descriptions: (string | undefined)[] = [];
    const problems: string[] = [];
    for (const [index, image] of images.entries()) {
      try {
        const prepared = await preprocessImage(await image.fetch(), this.dependencies.limits.image);
        media.push({ mediaType: prepared.mediaType, width: prepared.width, height: prepared.height, data: prepared.data });
        descriptions.push(image.description);
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        log.info({ kind: error.kind, position: index + 1 }, 'image refused');
        problems.push(messages.imageProblem(error.kind, index + 1, sent, error.details ?? {}));
      }
    }
    return { media, descriptions, problems };
  }
}

class EmptyAnswerError extends Error {
  override readonly name = 'EmptyAnswerError';
  constructor() {
    super('The model finished without any text.');
  }
}

function withDescriptions(media: readonly MediaRecord[], descriptions: readonly (string | undefined)[]): PromptImage[] {
  return media.map((record, index) => {
    const description = descriptions[index];
    return { mediaType: record.mediaType, data: record.data, ...(description ? { description } : {}) };
  });
}

/** A short, content-free reason recorded with a failed turn and logged. */
function failureReason(error: unknown): string {
  if (isModelError(error)) {
    switch (error.kind) {
      case 'aborted':
        return 'aborted';
      case 'unavailable':
        return 'model-unavailable';
      case 'context-length':
        return 'context-length';
      case 'timeout':
        return 'timeout';
      default:
        return 'model-failed';
    }
  }
  if (error instanceof EmptyAnswerError) return 'empty-answer';
  return 'internal';
}

function problemText(reason: string, partlyDelivered: boolean, messages: Messages): string {
  if (partlyDelivered) return messages.modelFailedPartway;
  switch (reason) {
    case 'model-unavailable':
      return messages.modelUnavailable;
    case 'context-length':
      return messages.contextTooLong;
    case 'timeout':
      return messages.modelTimedOut;
    case 'internal':
      return messages.unexpectedError;
    default:
      return messages.modelFailed;
  }
}
