import type { EventKey, MediaRecord, NewMedia, Store, TurnRecord, UserKey, UserRecord, UserSettings } from '../storage/index.js';
import type { Barcode } from './perception/barcode-scanner.js';
import { canonicalCommand, COMMAND_TABLE, isPhotoCommand, parseCommand, runCommand } from './commands/index.js';
import type { Logger } from './log.js';
import { fetchAndPreprocessImage, MediaError, type ImageLimits } from './media/index.js';
import { isModelError, type FinishReason, type VisionLanguageModel } from './models/index.js';
import { buildPrompt, buildSystemPrompt, estimateTokens, type BuiltPrompt, type PromptImage } from './prompt/index.js';
import { AnswerDelivery, splitForDelivery } from './reply/index.js';
import { ReplyLanguage } from './reply-language.js';
import type { FailureReason, IncomingImage, IncomingTurn, ReplyPart, TurnOptions } from './turn.js';
import { AccessPolicy } from './scheduling/access-policy.js';
import { SchedulerClosedError, SchedulerFullError, TurnScheduler, type Slot } from './scheduling/turn-scheduler.js';
import { hearQuestion, type VoiceDependencies } from './voice-question.js';
import { wantsVoiceReply, type VoiceReplies } from './voice-reply.js';
import { messagesFor } from './i18n/index.js';
import { readColours } from './perception/colours.js';
import { nothingRecognisable, parseFindings, perceivePhoto, serializeFindings, type PerceptionTools, type PhotoFindings } from './perception/photo-findings.js';
import { asksAboutLight, photoIntent, type PhotoIntent } from './perception/photo-intent.js';
import { readingText } from './perception/reading-text.js';

export interface AssistantLimits {
  readonly image: ImageLimits;
  readonly maxImagesPerTurn: number;
  readonly mediaRetentionMs: number;
  readonly historyTokenBudget: number;
  /** Most earlier turns read from memory before the token budget trims them. */
  readonly historyTurns: number;
  /** The longest one model turn may take once it has started; unlimited when absent. */
  readonly turnDeadlineMs?: number;
  /** A turn expected to wait longer than this is told its place in line (default 5 s). */
  readonly placeNoticeAfterMs?: number;
}

export interface AssistantDependencies {
  readonly store: Store;
  readonly logger: Logger;
  /** Undefined until a model is set up; questions then get a message saying so. */
  readonly model: VisionLanguageModel | undefined;
  readonly limits: AssistantLimits;
  /** Voice questions; without it a voice note gets a message saying to type instead. */
  readonly voice?: VoiceDependencies;
  /**
   * The engines that look at a photo without the vision model (quality, text, barcodes); colours
   * need none. Without a text reader the vision model is asked to read.
   */
  readonly perception?: PerceptionTools;
  /** Spoken answers, sent as voice messages after the text; without it answers are text only. */
  readonly voiceReplies?: VoiceReplies;
  /**
   * The fair waiting line for model turns, shared by every platform in the process: one turn at a
   * time per person, round-robin between people, a concurrency limit for the model. Without it,
   * a line with room for everyone (tests, one-shots).
   */
  readonly scheduler?: TurnScheduler;
  /** Who may start model turns, and how many (allow-list, rate limit, daily quota). */
  readonly accessPolicy?: AccessPolicy;
  /** IANA time zone for today's date in the prompt; the system's when absent. */
  readonly timeZone?: string;
  /** The clock in epoch milliseconds, for today's date; tests fix it. */
  readonly now?: () => number;
}

/** How a turn ended, for recording its delivery: an aborted one must be answered when redelivered. */
type TurnOutcome = 'replied' | 'aborted';

/** What one turn knows about itself, read once when it starts and passed to every step. */
interface TurnContext {
  readonly turn: IncomingTurn;
  readonly options: TurnOptions;
  readonly log: Logger;
  /** The platform delivery, recorded as answered once the reply is out. */
  readonly event: EventKey | undefined;
  readonly userKey: UserKey;
  /** Undefined for someone the assistant has stored nothing about yet. */
  readonly user: UserRecord | undefined;
  readonly settings: UserSettings | undefined;
  /** The command to run, when the user typed one (or the platform's own command UI sent one). */
  readonly command: { readonly name: string; readonly argument: string } | undefined;
  readonly language: ReplyLanguage;
  /** Fires when the turn's deadline passes: its end is then a timeout, not a cancellation. */
  readonly deadline?: AbortSignal;
}

/** The question as the model will get it, once voice and photos have been read. */
interface Question {
  readonly text: string;
  readonly source: NonNullable<IncomingTurn['textSource']>;
  readonly media: NewMedia[];
  /** Alt text of each new photo, in order. */
  readonly descriptions: (string | undefined)[];
  /** What was seen in each new photo, in order; undefined where looking failed. */
  readonly findings: (PhotoFindings | undefined)[];
}

const DRAFT_INTERVAL_MS = 1000;

const MAX_OUTPUT_TOKENS: Record<UserSettings['replyLength'], number> = { short: 120, normal: 320, detailed: 800 };
/** Reading text aloud is read in full whatever the length setting, and so is the rest of a cut answer. */
const READ_TEXT_OUTPUT_TOKENS = 800;

/** "Read the label", "读一下", "léeme esto": the prompt says to read it in full, so the cap must allow it. */
const ASKS_TO_READ = /\b(?:read|reading)\b|[读念]|\ble(?:e|er|eme|éme)\b/iu;
/** A message that asks for the rest of the previous answer: "more", "continue", "更多", "继续", "más". */
const ASKS_TO_CONTINUE = /^(?:more|continue|go on|keep going|and more|tell me more|的?更多|继续(?:说|读)?|接着(?:说|读)?|más|sigue|continúa|continua)$/iu;
/** What the model is asked instead, so it picks up where it stopped rather than starting again. */
const CONTINUE_QUESTION =
  'Continue your previous answer exactly where it stopped, in the same language. Do not repeat what you already said and do not start with a summary.';

const READ_ALL_QUESTION = 'Read all the text in this photo out word for word, in reading order. Do not summarise it.';

function asksToContinue(text: string): boolean {
  return ASKS_TO_CONTINUE.test(text.trim().replace(/[\s.!?。！？…,，]+$/u, '').replace(/^[¡¿]/u, ''));
}

function outputTokensFor(replyLength: UserSettings['replyLength'], question: string): number {
  const base = MAX_OUTPUT_TOKENS[replyLength];
  return ASKS_TO_READ.test(question) || asksToContinue(question) ? Math.max(base, READ_TEXT_OUTPUT_TOKENS) : base;
}

const FAILURE_TEXT = {
  'model-unavailable': 'modelUnavailable',
  'unknown-model': 'modelNotOnServer',
  'context-length': 'contextTooLong',
  timeout: 'modelTimedOut',
  'model-failed': 'modelFailed',
  'empty-answer': 'modelFailed',
  internal: 'unexpectedError',
} as const satisfies Record<Exclude<FailureReason, 'aborted'>, string>;

/**
 * The assistant: one incoming turn in, reply parts out. Commands, memory, the prompt, the model
 * and the answer's wording live here once, so every platform behaves the same.
 */
export class Assistant {
  private readonly scheduler: TurnScheduler;

  constructor(private readonly dependencies: AssistantDependencies) {
    this.scheduler = dependencies.scheduler ?? new TurnScheduler({ concurrency: 64, maxWaiting: 100_000 });
  }

  /**
   * Handles one turn. Never throws for anything a user can cause or a model can do: those become
   * `problem` parts. Model turns of one user run one after another, in arrival order, in the fair
   * line shared with everyone; commands answer at once and never wait behind a model turn.
   */
  async *handle(turn: IncomingTurn, options: TurnOptions): AsyncGenerator<ReplyPart> {
    const log = this.dependencies.logger.child({ platform: turn.platform });
    let language = new ReplyLanguage('auto', turn.text, turn.languageHint);
    let slot: Slot | undefined;
    let endDeadline: (() => void) | undefined;
    try {
      let context = this.contextFor(turn, options, log);
      language = context.language;
      const { event } = context;
      if (event && this.dependencies.store.isEventProcessed(event)) {
        log.info({ eventId: event.eventId }, 'delivery already answered; skipped');
        return;
      }
      if (!this.answersAtOnce(context)) {
        const admitted = yield* this.admit(context);
        if (admitted === 'refused' || admitted === 'aborted') {
          // Refused: answered (nothing kept); aborted: the redelivery after a restart answers it.
          if (event && admitted === 'refused') this.dependencies.store.recordEvent(event);
          return;
        }
        slot = admitted.slot;
        endDeadline = admitted.endDeadline;
        // A redelivery may have waited behind the delivery it repeats.
        if (event && this.dependencies.store.isEventProcessed(event)) {
          log.info({ eventId: event.eventId }, 'delivery already answered; skipped');
          return;
        }
        context = admitted.context;
      }
      let outcome = yield* this.handleInOrder(context);
      if (outcome === 'aborted' && context.deadline?.aborted && !options.signal?.aborted) {
        // The turn's own deadline, not a shutdown: the person hears it took too long.
        log.warn({ deadlineMs: this.dependencies.limits.turnDeadlineMs }, 'turn stopped at its deadline');
        yield { type: 'problem', text: language.messages.modelTimedOut, reason: 'timeout' };
        outcome = 'replied';
      }
      // Turns record their delivery with the turn itself; everything else once its reply is out.
      // An aborted turn is left unrecorded so that the redelivery after a restart answers it.
      if (event && outcome !== 'aborted') this.dependencies.store.recordEvent(event);
    } catch (error) {
      log.error({ err: error }, 'turn failed unexpectedly');
      yield { type: 'problem', text: language.messages.unexpectedError, reason: 'internal' };
    } finally {
      endDeadline?.();
      slot?.release();
    }
  }

  /** Commands, and messages the assistant cannot take, cost no model time: they never wait in line. */
  private answersAtOnce(context: TurnContext): boolean {
    const { turn, command } = context;
    const commandName = command && canonicalCommand(command.name);
    if (command && !(commandName && isPhotoCommand(commandName))) return true;
    if (turn.unsupportedContent) return true;
    return !command && !turn.images?.length && !turn.text?.trim() && !turn.audio?.length;
  }

  /**
   * A model turn's way in: the access policy, then the fair line (with the person's place in it
   * when the wait will be long), then the turn's deadline. Refusals are one kind sentence and
   * nothing is stored.
   */
  private async *admit(context: TurnContext): AsyncGenerator<ReplyPart, { slot: Slot; context: TurnContext; endDeadline(): void } | 'refused' | 'aborted'> {
    const { turn, options, log, language } = context;
    const texts = language.messages.service;
    const decision = this.dependencies.accessPolicy?.check(turn.platform, turn.userId) ?? { allowed: true };
    if (!decision.allowed) {
      log.info({ reason: decision.reason }, 'turn refused by the access policy');
      const now = this.dependencies.now?.() ?? Date.now();
      const text =
        decision.reason === 'not-allowed'
          ? texts.notAllowed(`${turn.platform}:${turn.userId}`)
          : decision.reason === 'rate-limited'
            ? texts.rateLimited(decision.retryAfterMs / 1000)
            : texts.quotaReached(decision.limit, (decision.resetsAt - now) / 1000);
      yield { type: 'problem', text, reason: decision.reason };
      return 'refused';
    }
    // Behind their own earlier message, a person is not waiting for others: no place in line to tell.
    const behindOwnTurn = this.scheduler.isBusy(`${turn.platform}:${turn.userId}`);
    let ticket: ReturnType<TurnScheduler['enqueue']>;
    try {
      ticket = this.scheduler.enqueue(`${turn.platform}:${turn.userId}`, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (error instanceof SchedulerFullError) {
        log.warn({ maxWaiting: error.maxWaiting }, 'the waiting line is full; turn refused');
        this.dependencies.accessPolicy?.refund(turn.platform, turn.userId);
        yield { type: 'problem', text: texts.busy, reason: 'busy' };
        return 'refused';
      }
      if (error instanceof SchedulerClosedError) return yield* this.restarting(context);
      throw error;
    }
    if (!behindOwnTurn && ticket.position > 0 && ticket.estimatedWaitMs >= (this.dependencies.limits.placeNoticeAfterMs ?? 5000)) {
      log.info({ position: ticket.position, estimatedWaitMs: Math.round(ticket.estimatedWaitMs) }, 'turn waits in line');
      yield { type: 'notice', text: texts.placeInLine(ticket.position, ticket.estimatedWaitMs / 1000) };
    }
    let slot: Slot;
    try {
      slot = await ticket.ready;
    } catch (error) {
      if (error instanceof SchedulerClosedError) return yield* this.restarting(context);
      // Cancelled while waiting (the adapter is stopping): answered after the restart.
      return 'aborted';
    }
    const { turnDeadlineMs } = this.dependencies.limits;
    if (turnDeadlineMs === undefined) return { slot, context, endDeadline: () => undefined };
    // A timer of our own, not AbortSignal.timeout: that one does not keep the process alive, and a
    // one-shot whose only work is the turn would end with the turn unanswered.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The turn passed its deadline.', 'TimeoutError')), turnDeadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
    return { slot, context: { ...context, deadline: deadline.signal, options: { ...options, signal } }, endDeadline: () => clearTimeout(timer) };
  }

  /** The assistant stops while the turn waited: the person is told, and the kept delivery is answered after the restart. */
  private async *restarting(context: TurnContext): AsyncGenerator<ReplyPart, 'aborted'> {
    context.log.info('the assistant is stopping; a waiting turn is left for the restart');
    yield { type: 'problem', text: context.language.messages.service.restarting, reason: 'restarting' };
    return 'aborted';
  }

  /** Stops taking model turns: those waiting hear that the assistant is restarting (`close` on the line). */
  stopTakingTurns(): void {
    this.scheduler.close();
  }

  /** Resolves once no model turn is running. */
  modelTurnsFinished(): Promise<void> {
    return this.scheduler.whenIdle();
  }

  /** Records which platform message carried an answer, so a reply to it continues that conversation. */
  recordDelivery(turnId: number, platformMessageId: string): void {
    this.dependencies.store.recordDelivery(turnId, platformMessageId);
  }

  private contextFor(turn: IncomingTurn, options: TurnOptions, log: Logger): TurnContext {
    const { store } = this.dependencies;
    const userKey: UserKey = { platform: turn.platform, platformUserId: turn.userId };
    const user = store.findUser(userKey);
    const settings = user ? store.getSettings(user.id) : undefined;
    // Only words the user typed run a command: a transcript is heard by a machine, a forwarded
    // message is someone else's. A command's name says nothing about the user's language.
    const command = turn.command ?? ((turn.textSource ?? 'text') === 'text' ? parseCommand(turn.text) : undefined);
    return {
      turn,
      options,
      log,
      event: turn.eventId === undefined ? undefined : { platform: turn.platform, eventId: turn.eventId, ...(turn.inboxIds ? { inboxIds: turn.inboxIds } : {}) },
      userKey,
      user,
      settings,
      command,
      language: new ReplyLanguage(settings?.language ?? 'auto', command ? undefined : turn.text, turn.languageHint),
    };
  }

  private async *handleInOrder(context: TurnContext): AsyncGenerator<ReplyPart, TurnOutcome> {
    const { turn, options, log, language, command } = context;
    const commandName = command && canonicalCommand(command.name);
    if (command && !(commandName && isPhotoCommand(commandName))) {
      const outcome = runCommand(command.name, command.argument, {
        store: this.dependencies.store,
        user: context.userKey,
        chatId: turn.chatId,
        mediaRetentionHours: this.dependencies.limits.mediaRetentionMs / 3_600_000,
        messages: language.messages,
        messagesAfter: (updated) => language.withSetting(updated.language).messages,
        canSpeak: this.dependencies.voiceReplies !== undefined && options.supportsVoice === true,
      });
      log.info({ command: outcome.command }, 'command');
      const messages = language.messages;
      const privately = isPrivateCommand(outcome.command) ? { inGroup: messages.answeredPrivately, unreachable: messages.privateReplyUnreachable } : undefined;
      for (const text of splitForDelivery(outcome.text, options.maxPartLength)) yield { type: 'reply', text, ...(privately ? { privately } : {}) };
      return 'replied';
    }
    if (turn.unsupportedContent) {
      log.info({ content: turn.unsupportedContent }, 'unsupported content');
      yield { type: 'reply', text: language.messages.unsupportedContent(turn.unsupportedContent) };
      return 'replied';
    }

    const images = turn.images ?? [];
    if (!command && images.length === 0 && !turn.text?.trim() && !turn.audio?.length) {
      yield { type: 'reply', text: language.messages.emptyTurn };
      return 'replied';
    }
    // Reading text and naming colours need no vision model: a typed request is answered without one.
    const typedIntent = commandName ? photoIntent('', commandName) : turn.audio?.length ? undefined : photoIntent(turn.text ?? '');
    const { model } = this.dependencies;
    if (!model && !typedIntent) {
      log.warn('no vision model is set up; answered with the setup message');
      yield { type: 'problem', text: language.messages.modelNotSetUp, reason: 'model-not-set-up' };
      return 'replied';
    }

    const heard = yield* this.hear(context);
    if (heard === 'aborted' || heard === 'refused') return heard === 'aborted' ? 'aborted' : 'replied';
    // Without a text reader the vision model reads, as well as it can.
    const canRead = this.dependencies.perception?.textReader !== undefined;
    const wanted = typedIntent ?? photoIntent(heard.text);
    const intent = wanted === 'read' && !canRead && model ? undefined : wanted;

    const maxImages = Math.min(this.dependencies.limits.maxImagesPerTurn, model?.capabilities.maxImages ?? this.dependencies.limits.maxImagesPerTurn);
    if (images.length > maxImages) yield { type: 'notice', text: language.messages.tooManyImages(maxImages, images.length) };
    const prepared = yield* this.prepareImages(context, images.slice(0, maxImages), images.length, intent);
    // Every photo failed: the question was about them, so answering it about an older photo would mislead.
    if (images.length > 0 && prepared.media.length === 0) return 'replied';
    // `/read` on a server without a text reader: the model is asked to read, in words it follows.
    const question: Question = { ...heard, ...prepared, ...(commandName === 'read' && !intent ? { text: READ_ALL_QUESTION, source: 'text' as const } : {}) };
    if (intent) return yield* this.answerFromPhoto(context, intent, question, model);

    // Coaching first, so a retake can start while the answer is still coming.
    const problems = [...new Set(prepared.findings.flatMap((findings) => findings?.problems ?? []))];
    if (problems.length > 0) yield { type: 'notice', text: language.messages.perception.coaching(problems) };
    if (prepared.findings.length > 0 && prepared.findings.every((findings) => findings && nothingRecognisable(findings))) {
      log.info({ problems }, 'nothing recognisable in the photo; the model was not asked');
      yield { type: 'reply', text: language.messages.perception.nothingRecognisable };
      return 'replied';
    }
    return yield* this.answer(context, model!, question);
  }

  /**
   * `/read` and colour questions: answered from the photo's pixels and the text reader, with no
   * vision model, and remembered like any turn so a follow-up question can build on them.
   */
  private async *answerFromPhoto(
    context: TurnContext,
    intent: PhotoIntent,
    question: Question,
    model: VisionLanguageModel | undefined,
  ): AsyncGenerator<ReplyPart, TurnOutcome> {
    const { language, log, options } = context;
    const texts = language.messages.perception;
    const located = this.locateTurn(context, question);
    if (question.media.length === 0 && located.earlierMedia.length === 0) {
      // "Is the light on?" with no photo at all is a question for the model, which can say what it needs.
      if (!context.command && model) return yield* this.answer(context, model, question);
      yield { type: 'reply', text: texts.needPhoto(intent) };
      return 'replied';
    }
    const newProblems = [...new Set(question.findings.flatMap((findings) => findings?.problems ?? []))];
    const { turnId, media } = this.recordQuestion(context, located, question);
    const coaching = newProblems.length > 0 ? texts.coaching(newProblems) : '';

    let answer: string;
    if (intent === 'colour') {
      try {
        const reading = await readColours(media[0]!.data);
        answer = texts.colours(reading, asksAboutLight(question.text));
      } catch (error) {
        log.warn({ turnId, err: error }, 'looking at the colours failed');
        this.dependencies.store.failTurn(turnId, 'perception-failed', undefined, context.event);
        yield { type: 'problem', text: texts.coloursFailed, reason: 'perception-failed', turnId };
        return 'replied';
      }
    } else {
      const findings = await this.findingsToRead(context, media, question.findings);
      if (findings.some((found) => found?.text === undefined) && !findings.some((found) => found?.text?.lines.length || found?.barcodes?.length)) {
        if (coaching) yield { type: 'notice', text: coaching };
        this.dependencies.store.failTurn(turnId, 'reading-failed', undefined, context.event);
        yield { type: 'problem', text: texts.readingFailed, reason: 'reading-failed', turnId };
        return 'replied';
      }
      const reading = readingText(findings.map((found) => found ?? { problems: [] }), texts);
      if (!reading.text) {
        const problems = [...new Set(findings.flatMap((found) => found?.problems ?? []))];
        if (coaching) yield { type: 'notice', text: coaching };
        this.dependencies.store.failTurn(turnId, 'no-text', undefined, context.event);
        yield { type: 'problem', text: texts.noTextFound(problems), reason: 'no-text', turnId };
        return 'replied';
      }
      answer = reading.text;
    }
    // Spoken while the text goes out; sent after it.
    const voice = this.startVoice(context, answer, question.source, located.settings);
    if (coaching) yield { type: 'notice', text: coaching };
    for (const [index, text] of splitForDelivery(answer, options.maxPartLength).entries()) {
      yield { type: 'answer', role: index === 0 ? 'gist' : 'detail', text, turnId };
    }
    this.dependencies.store.completeTurn(turnId, answer, context.event);
    log.info({ turnId, intent, photos: media.length, reusedPhoto: question.media.length === 0 || undefined, answerChars: answer.length }, 'photo read without the model');
    if (voice) yield* this.voicePart(context, voice, turnId);
    return 'replied';
  }

  /** The findings of the photos to read; a stored photo never read (or read when the reader failed) is read now. */
  private async findingsToRead(
    context: TurnContext,
    media: readonly MediaRecord[],
    fresh: readonly (PhotoFindings | undefined)[],
  ): Promise<(PhotoFindings | undefined)[]> {
    const tools = this.dependencies.perception ?? {};
    return Promise.all(
      media.map(async (record, index) => {
        const known = fresh[index] ?? parseFindings(record.findings);
        if (known?.text !== undefined || !tools.textReader) return known;
        const looked = await perceivePhoto(record.data, tools, { log: context.log, ...(context.options.signal ? { signal: context.options.signal } : {}) });
        if (looked.text !== undefined) this.dependencies.store.setMediaFindings(record.id, serializeFindings(looked));
        return looked;
      }),
    );
  }

  /** The question's words: typed, spoken, or both (a caption beside a voice note goes first). */
  private async *hear(context: TurnContext): AsyncGenerator<ReplyPart, Pick<Question, 'text' | 'source'> | 'aborted' | 'refused'> {
    const { turn, language, settings } = context;
    const typed = turn.text?.trim() ?? '';
    const audio = turn.audio?.[0];
    if (!audio) return { text: typed, source: turn.textSource ?? 'text' };
    const pinned = settings?.language ?? 'auto';
    const heard = await hearQuestion(audio, {
      voice: this.dependencies.voice ?? { speech: undefined, limits: { maxBytes: 0, maxSeconds: 0 } },
      language: pinned === 'auto' ? undefined : pinned,
      messages: language.messages,
      log: context.log,
      ...(context.options.signal ? { signal: context.options.signal } : {}),
    });
    if (!heard.heard) {
      if (heard.aborted) return 'aborted';
      yield { type: 'problem', text: heard.text, reason: heard.reason };
      return 'refused';
    }
    language.heard(heard.transcript.language);
    if (settings?.voiceEcho === 'on') yield { type: 'notice', text: language.messages.heardAs(heard.transcript.text) };
    // A forwarded voice note is someone else's words as well as a transcript.
    return { text: [typed, heard.transcript.text].filter(Boolean).join('\n'), source: turn.textSource === 'forwarded' ? 'forwarded' : 'voice' };
  }

  private async *prepareImages(
    context: TurnContext,
    images: readonly IncomingImage[],
    sent: number,
    intent: PhotoIntent | undefined,
  ): AsyncGenerator<ReplyPart, Pick<Question, 'media' | 'descriptions' | 'findings'>> {
    const media: NewMedia[] = [];
    const descriptions: (string | undefined)[] = [];
    const findings: (PhotoFindings | undefined)[] = [];
    const tools = this.dependencies.perception ?? {};
    const { signal } = context.options;
    for (const [index, image] of images.entries()) {
      try {
        let found: PhotoFindings | undefined;
        const inspect = async (original: Uint8Array): Promise<void> => {
          // Colours come from the stored copy; reading text is what costs, so only when it is used.
          found = await perceivePhoto(original, tools, { log: context.log, readText: intent !== 'colour', ...(signal ? { signal } : {}) });
        };
        const looks = tools.assessQuality !== undefined || tools.textReader !== undefined || tools.barcodeScanner !== undefined;
        const prepared = await fetchAndPreprocessImage(() => image.fetch(), this.dependencies.limits.image, looks ? inspect : undefined);
        media.push({
          mediaType: prepared.mediaType,
          width: prepared.width,
          height: prepared.height,
          data: prepared.data,
          ...(found ? { findings: serializeFindings(found) } : {}),
        });
        descriptions.push(image.description);
        findings.push(found);
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        context.log.info({ kind: error.kind, position: index + 1 }, 'image refused');
        const text = context.language.messages.imageProblem(error.kind, index + 1, sent, error.details ?? {});
        yield { type: 'problem', text, reason: 'bad-image' };
      }
    }
    return { media, descriptions, findings };
  }

  private async *answer(context: TurnContext, model: VisionLanguageModel, question: Question): AsyncGenerator<ReplyPart, TurnOutcome> {
    const { turnId, settings, prompt } = this.beginTurn(context, model, question);
    const { options, log } = context;
    const delivery = new AnswerDelivery(options.maxPartLength);
    const started = performance.now();
    let voice: PendingVoice | undefined;
    try {
      const stream = model.generate({
        messages: prompt.messages,
        maxOutputTokens: outputTokensFor(settings.replyLength, question.text),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      let timing: { firstTokenMs: number; tokensPerSecond?: number } | undefined;
      let finishReason: FinishReason | undefined;
      const drafting = options.supportsDrafts === true && settings.streaming === 'edits';
      let lastDraftAt = Number.NEGATIVE_INFINITY;
      for await (const part of stream) {
        if (part.type === 'finish') {
          timing = part.timing;
          finishReason = part.reason;
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
      // Cut at the token limit: the listener must hear that it stopped, and how to get the rest.
      const cutOff = finishReason === 'length';
      // The whole answer is known: it is spoken while its last parts go out as text.
      if (delivery.text) voice = this.startVoice(context, delivery.text, question.source, settings, cutOff);
      for (const chunk of delivery.finish()) yield { type: 'answer', ...chunk, turnId };
      if (!delivery.text) throw new EmptyAnswerError();
      if (cutOff) yield { type: 'notice', text: context.language.messages.answerCutOff };
      // A barcode's number or address exactly as it is encoded, which a model may not copy right.
      const barcodes = question.findings.flatMap((found) => found?.barcodes ?? []);
      if (barcodes.length > 0) yield { type: 'notice', text: barcodes.map(context.language.messages.perception.barcode).join('\n') };
      this.dependencies.store.completeTurn(turnId, delivery.text, context.event);
      log.info(
        {
          turnId,
          ms: Math.round(performance.now() - started),
          firstTokenMs: timing && Math.round(timing.firstTokenMs),
          tokensPerSecond: timing?.tokensPerSecond && Math.round(timing.tokensPerSecond),
          answerChars: delivery.text.length,
          cutOff: finishReason === 'length' || undefined,
        },
        'turn answered',
      );
    } catch (error) {
      // A voice started for an answer that then failed is never sent.
      voice = undefined;
      const reason = failureReason(error);
      this.dependencies.store.failTurn(turnId, reason, delivery.deliveredText || undefined, reason === 'aborted' ? undefined : context.event);
      log.warn({ turnId, reason, err: error }, 'turn failed');
      if (reason === 'aborted') return 'aborted';
      // Part of the answer already reached the user: say it may be incomplete, whatever the cause.
      const { messages: texts } = context.language;
      yield { type: 'problem', text: delivery.deliveredText ? texts.modelFailedPartway : texts[FAILURE_TEXT[reason]], reason, turnId };
    }
    if (voice) yield* this.voicePart(context, voice, turnId);
    return 'replied';
  }

  /**
   * Starts speaking the answer when the person wants that (same mode back by default) and the
   * platform has voice messages, so the note is made while the text goes out.
   */
  private startVoice(context: TurnContext, answer: string, source: Question['source'], settings: UserSettings, cutOff = false): PendingVoice | undefined {
    const { voiceReplies } = this.dependencies;
    const { options, language } = context;
    if (!voiceReplies || !options.supportsVoice || !(options.alwaysSpeak || wantsVoiceReply(settings.voiceReplies, source))) return undefined;
    const started = performance.now();
    // Settled, never rejected: the text parts are yielded before anyone awaits it.
    return voiceReplies
      .make(
        answer,
        language.code,
        (code) => messagesFor(code).voiceReplies.restInText,
        options.signal,
        // A cut answer must not sound whole: the note ends as the text does, saying it stopped.
        cutOff ? (code) => messagesFor(code).answerCutOff : undefined,
      )
      .then(
        (note) => ({ note, ms: performance.now() - started }),
        (error: unknown) => ({ error }),
      );
  }

  /** The spoken answer, after its text; a voice that failed costs one short note, never the turn. */
  private async *voicePart(context: TurnContext, pending: PendingVoice, turnId: number): AsyncGenerator<ReplyPart> {
    const { log, options, language } = context;
    const texts = language.messages.voiceReplies;
    const made = await pending;
    if ('note' in made) {
      const { note } = made;
      log.info(
        { turnId, ms: Math.round(made.ms), seconds: Math.round(note.durationSeconds * 10) / 10, language: note.language, spokenChars: note.text.length },
        'voice reply made',
      );
      yield { type: 'voice', note: { data: note.data, durationSeconds: note.durationSeconds, waveform: note.waveform }, text: note.text, turnId, refused: texts.forbidden, failed: texts.failed };
      return;
    }
    if (options.signal?.aborted) return;
    if (isModelError(made.error) && made.error.kind === 'unsupported-input') {
      // No voice for this language: the text is the answer, as it is for everyone else.
      log.info({ turnId, language: language.code }, 'no voice speaks the reply language; text only');
      return;
    }
    log.warn({ turnId, err: made.error }, 'the voice reply could not be made');
    yield { type: 'notice', text: texts.failed };
  }

  /** Where a turn belongs: its user, settings, conversation, the history before it, and the photos a follow-up is about. */
  private locateTurn(context: TurnContext, question: Question): LocatedTurn {
    const { store, limits } = this.dependencies;
    const user = context.user ?? store.ensureUser(context.userKey);
    const settings = context.settings ?? store.getSettings(user.id);
    const { conversationId, repliedTurnId } = this.conversationFor(user, context.turn);
    // Read before this turn is written, so the history is strictly earlier turns.
    const history = store.recentTurns(conversationId, limits.historyTurns);
    const earlierMedia = question.media.length === 0 ? store.latestMedia(conversationId, repliedTurnId) : [];
    return { user, settings, conversationId, history, earlierMedia };
  }

  /** Records the question and its new photos; returns the photos the turn is about, new or earlier. */
  private recordQuestion(context: TurnContext, located: LocatedTurn, question: Question): { turnId: number; media: MediaRecord[]; reusesPhoto: boolean } {
    const begun = this.dependencies.store.beginTurn({
      conversationId: located.conversationId,
      userId: located.user.id,
      question: question.text,
      questionSource: question.source,
      ...(context.turn.messageId === undefined ? {} : { incomingMessageId: context.turn.messageId }),
      media: question.media,
      mediaRetentionMs: this.dependencies.limits.mediaRetentionMs,
    });
    const reusesPhoto = begun.media.length === 0 && located.earlierMedia.length > 0;
    return { turnId: begun.turn.id, media: begun.media.length > 0 ? begun.media : located.earlierMedia, reusesPhoto };
  }

  /**
   * Records the question (and its new photos) in the conversation it continues, and builds the
   * prompt: the system prompt, as much history as fits, the question with its photos or, for a
   * follow-up, the conversation's latest photos, each with the text and barcodes found in it.
   */
  private beginTurn(
    context: TurnContext,
    model: VisionLanguageModel,
    question: Question,
  ): { turnId: number; settings: UserSettings; prompt: BuiltPrompt } {
    const { limits } = this.dependencies;
    const { language } = context;
    const located = this.locateTurn(context, question);
    const { settings, history } = located;
    const { turnId, media, reusesPhoto } = this.recordQuestion(context, located, question);
    const messages = language.messages.perception;
    const images = media.map((record, index) => toPromptImage(record, reusesPhoto ? undefined : question.descriptions[index], messages.barcode));
    const prompt = buildPrompt({
      systemPrompt: buildSystemPrompt({
        ...settings,
        ...(language.spokenLanguage ? { spokenLanguage: language.spokenLanguage } : {}),
        now: new Date(this.dependencies.now?.() ?? Date.now()),
        ...(this.dependencies.timeZone ? { timeZone: this.dependencies.timeZone } : {}),
      }),
      history,
      // "more" after an answer: the history carries that answer, and the model is told to go on from it.
      question: history.length > 0 && asksToContinue(question.text) ? CONTINUE_QUESTION : question.text || language.messages.defaultPhotoQuestion,
      questionSource: question.source,
      images,
      imagesFromEarlierTurn: reusesPhoto,
      historyTokenBudget: limits.historyTokenBudget,
      countTokens: model.countTokens ? (text) => model.countTokens!(text) : estimateTokens,
    });
    context.log.info(
      {
        turnId,
        images: images.length,
        reusedImages: reusesPhoto,
        textFound: images.filter((image) => image.textFound).length || undefined,
        historyTurns: history.length - prompt.droppedTurns,
        droppedTurns: prompt.droppedTurns,
        questionChars: question.text.length,
        source: question.source,
      },
      'turn started',
    );
    return { turnId, settings, prompt };
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
}

/** A voice reply being made while the text goes out: the note, or why there is none. */
type PendingVoice = Promise<{ readonly note: Awaited<ReturnType<VoiceReplies['make']>>; readonly ms: number } | { readonly error: unknown }>;

class EmptyAnswerError extends Error {
  override readonly name = 'EmptyAnswerError';
  constructor() {
    super('The model finished without any text.');
  }
}

interface LocatedTurn {
  readonly user: UserRecord;
  readonly settings: UserSettings;
  readonly conversationId: number;
  readonly history: TurnRecord[];
  readonly earlierMedia: MediaRecord[];
}

/** A stored photo for the prompt, with what was found in it: only the lines the reader was sure of. */
function toPromptImage(record: MediaRecord, description: string | undefined, sayBarcode: (barcode: Barcode) => string): PromptImage {
  const findings = parseFindings(record.findings);
  const textFound = findings?.text?.lines
    .filter((line) => !line.uncertain)
    .map((line) => line.text)
    .join('\n');
  const barcodes = findings?.barcodes?.map(sayBarcode).join('\n');
  return {
    mediaType: record.mediaType,
    data: record.data,
    key: mediaKey(record.id),
    ...(description ? { description } : {}),
    ...(textFound ? { textFound } : {}),
    ...(barcodes ? { barcodes } : {}),
  };
}

/** The name a stored photo goes by in model requests, so a backend can keep and later drop its features. */
export function mediaKey(mediaId: number): string {
  return `media:${mediaId}`;
}

const MODEL_FAILURES: Partial<Record<string, FailureReason>> = {
  aborted: 'aborted',
  unavailable: 'model-unavailable',
  'unknown-model': 'unknown-model',
  'context-length': 'context-length',
  timeout: 'timeout',
};

/** A short, content-free reason recorded with a failed turn and logged. */
function failureReason(error: unknown): FailureReason {
  if (isModelError(error)) return MODEL_FAILURES[error.kind] ?? 'model-failed';
  if (error instanceof EmptyAnswerError) return 'empty-answer';
  return 'internal';
}

/** Commands whose answer concerns only the person asking (the table's `private` mark). */
function isPrivateCommand(name: string): boolean {
  return COMMAND_TABLE.some((command) => command.name === name && command.private);
}
