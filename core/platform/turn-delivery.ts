import type { Store } from '../../storage/index.js';
import type { Assistant } from '../assistant.js';
import type { Logger } from '../log.js';
import { instrumentReplyChannel, noMetrics, quietly, type AssistantMetrics, type TurnResult } from '../observability/index.js';
import type { IncomingTurn, ReplyPart } from '../turn.js';
import { StoreDeliveryJournal } from './delivery-journal.js';
import { PlatformError, type DraftCapability, type Inbox, type ReceiveOptions, type ReplyChannel, type SentMessage } from './platform.js';

/** A typing indicator that lasts about 5 s needs renewing a little before it fades. */
const DEFAULT_TYPING_INTERVAL_MS = 4000;

/**
 * The one delivery routine: runs a turn through the assistant and sends its parts as new messages
 * (gist first), keeps "typing" visible while the assistant works, shows the opt-in draft, moves to
 * the private fallback where posting is refused, and records which platform message carried which
 * turn, so that a reply to it continues that conversation. Every platform gets the same behaviour
 * by implementing `ReplyChannel`.
 */
export class TurnDelivery implements Inbox {
  private readonly inProgress = new Set<Promise<void>>();
  /** People told in this run that the platform refuses voice messages from the bot: told once is enough. */
  private readonly toldVoiceRefused = new Set<string>();
  private readonly assistant: Assistant;
  private readonly logger: Logger;
  private readonly metrics: AssistantMetrics;
  readonly journal: StoreDeliveryJournal;

  constructor(dependencies: { readonly assistant: Assistant; readonly store: Store; readonly logger: Logger; readonly metrics?: AssistantMetrics }) {
    this.assistant = dependencies.assistant;
    this.logger = dependencies.logger;
    this.metrics = dependencies.metrics ?? noMetrics;
    this.journal = new StoreDeliveryJournal(dependencies.store, dependencies.logger);
  }

  receive(turn: IncomingTurn, channel: ReplyChannel, options: ReceiveOptions = {}): Promise<void> {
    const log = this.logger.child({ platform: turn.platform });
    const work = this.deliver(turn, channel, log, options).catch((error: unknown) => {
      log.error({ err: error }, 'delivery failed');
    });
    this.inProgress.add(work);
    void work.finally(() => this.inProgress.delete(work));
    return work;
  }

  async idle(): Promise<void> {
    while (this.inProgress.size > 0) await Promise.all([...this.inProgress]);
  }

  /**
   * The spoken answer, after its text. The text is the whole answer, so a voice message the
   * platform refuses or loses costs one short note in text, never the turn.
   */
  private async sendVoice(target: ReplyChannel, part: Extract<ReplyPart, { type: 'voice' }>, person: string, log: Logger): Promise<void> {
    // The private fallback of a room may be a place without voice messages.
    if (!target.sendVoice) return;
    let sent: SentMessage | undefined;
    try {
      sent = await target.sendVoice(part.note);
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'recipient-gone') throw error;
      const refused = error instanceof PlatformError && error.kind === 'forbidden';
      log.warn({ err: refused ? undefined : error, refused: refused || undefined }, 'the voice reply could not be sent');
      if (refused && this.toldVoiceRefused.has(person)) return;
      if (refused) this.toldVoiceRefused.add(person);
      await target.sendText(refused ? part.refused : part.failed, { asReply: false, kind: 'notice' });
      return;
    }
    log.info({ seconds: Math.round(part.note.durationSeconds * 10) / 10, bytes: part.note.data.length }, 'voice reply sent');
    if (sent) this.assistant.recordDelivery(part.turnId, sent.id);
  }

  private async deliver(turn: IncomingTurn, given: ReplyChannel, log: Logger, { signal, alwaysSpeak }: ReceiveOptions): Promise<void> {
    // Counted where the platform accepted each part, the private fallback's too.
    const channel = instrumentReplyChannel(given, turn.platform, this.metrics);
    const result = new TurnResultTracker();
    let target = channel;
    let first = true;
    const typing = startTyping(channel, log);
    const draft = channel.drafts ? new Draft(channel.drafts, log) : undefined;
    try {
      const parts = this.assistant.handle(turn, {
        maxPartLength: channel.capabilities.maxPartLength,
        supportsDrafts: draft !== undefined,
        supportsVoice: channel.sendVoice !== undefined,
        ...(alwaysSpeak ? { alwaysSpeak } : {}),
        ...(signal ? { signal } : {}),
      });
      const personal = new PersonalReplies(channel, log);
      for await (const part of parts) {
        result.saw(part);
        if (part.type === 'draft') {
          await draft?.show(part.text);
          continue;
        }
        if (part.type === 'voice') {
          await this.sendVoice(target, part, `${turn.platform}:${turn.userId}`, log);
          continue;
        }
        if (part.type === 'reply' && part.privately && channel.capabilities.shared) {
          await personal.send(part.text, part.privately);
          continue;
        }
        const options = { asReply: first && target.capabilities.replyToQuestion, kind: part.type };
        let sent: SentMessage | undefined;
        try {
          sent = await target.sendText(part.text, options);
        } catch (error) {
          const fallback = target.privateFallback?.();
          if (!(error instanceof PlatformError && error.kind === 'forbidden' && fallback)) throw error;
          log.warn('not allowed to answer here; answering the person privately');
          target = fallback;
          sent = await target.sendText(part.text, { ...options, asReply: false });
        }
        first = false;
        const turnId = turnIdOf(part);
        if (sent && turnId !== undefined) this.assistant.recordDelivery(turnId, sent.id);
      }
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'recipient-gone') {
        result.ended('dropped');
        log.info('the person blocked the bot or left the chat; answer dropped');
        // Nobody to answer after a restart either.
        for (const eventId of turn.inboxIds ?? (turn.eventId ? [turn.eventId] : [])) this.journal.drop(turn.platform, eventId);
        return;
      }
      result.ended('failed');
      throw error;
    } finally {
      quietly(() => this.metrics.turnFinished(turn.platform, result.outcome(signal?.aborted === true)));
      typing.stop();
      // Also when the answer failed: a draft left on screen would read as the whole answer.
      await draft?.remove();
    }
  }
}

/**
 * Answers that concern only the person (their data, their settings) when others read along: sent
 * to them privately, and the group told so in one line; when no private message can reach them,
 * the group is told how to open one, and the answer itself is never posted there.
 */
class PersonalReplies {
  private state: 'not-started' | 'sent' | 'unreachable' = 'not-started';

  constructor(
    private readonly channel: ReplyChannel,
    private readonly log: Logger,
  ) {}

  async send(text: string, notes: { readonly inGroup: string; readonly unreachable: string }): Promise<void> {
    if (this.state === 'unreachable') return;
    const privately = this.channel.privateFallback?.();
    try {
      if (!privately) throw new PlatformError('forbidden', 'This platform has no private messages.');
      await privately.sendText(text, { asReply: false, kind: 'reply' });
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      this.log.info({ kind: error.kind }, 'a personal answer could not be sent privately');
      this.state = 'unreachable';
      await this.channel.sendText(notes.unreachable, { asReply: this.channel.capabilities.replyToQuestion, kind: 'notice' });
      return;
    }
    if (this.state === 'not-started') {
      await this.channel.sendText(notes.inGroup, { asReply: this.channel.capabilities.replyToQuestion, kind: 'notice' });
      this.state = 'sent';
    }
  }
}

class Draft {
  private message: SentMessage | undefined;
  private shown = '';

  constructor(
    private readonly drafts: DraftCapability,
    private readonly log: Logger,
  ) {}

  async show(text: string): Promise<void> {
    if (text === this.shown) return;
    this.shown = text;
    if (!this.message) {
      this.message = await this.drafts.create(text);
      return;
    }
    await this.drafts.edit(this.message, text).catch((error: unknown) => {
      // Two drafts can format to the same text, and some platforms refuse an edit that changes nothing.
      if (!(error instanceof PlatformError && error.kind === 'unchanged')) throw error;
    });
  }

  async remove(): Promise<void> {
    if (!this.message) return;
    await this.drafts.remove(this.message).catch((error: unknown) => {
      this.log.info({ err: error }, 'the streaming draft could not be deleted');
    });
  }
}

const REFUSED: ReadonlySet<string> = new Set(['not-allowed', 'rate-limited', 'quota']);

/** How a turn's delivery ended, for the operator's metrics, from the parts it produced. */
class TurnResultTracker {
  private seen: TurnResult | undefined;
  private final: TurnResult | undefined;

  saw(part: ReplyPart): void {
    if (part.type === 'answer') this.seen = 'answered';
    else if (part.type === 'problem' && this.seen !== 'answered') {
      this.seen = part.reason === 'busy' ? 'busy' : REFUSED.has(part.reason) ? 'refused' : part.reason === 'restarting' ? 'aborted' : 'problem';
    } else if ((part.type === 'reply' || part.type === 'notice') && this.seen === undefined) this.seen = 'replied';
  }

  ended(result: TurnResult): void {
    this.final = result;
  }

  outcome(aborted: boolean): TurnResult {
    return this.final ?? this.seen ?? (aborted ? 'aborted' : 'skipped');
  }
}

function turnIdOf(part: ReplyPart): number | undefined {
  return part.type === 'answer' || part.type === 'problem' ? part.turnId : undefined;
}

function startTyping(channel: ReplyChannel, log: Logger): { stop(): void } {
  const { showTyping } = channel;
  if (!showTyping) return { stop: () => undefined };
  const send = (): void => {
    showTyping.call(channel).catch((error: unknown) => log.debug({ err: error }, 'typing indicator failed'));
  };
  send();
  const timer = setInterval(send, channel.capabilities.typingIntervalMs ?? DEFAULT_TYPING_INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}
