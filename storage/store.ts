import type Database from 'better-sqlite3';
import { startWalCheckpointer, type WalCheckpointer, type WalCheckpointerOptions } from './checkpointer.js';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import {
  DEFAULT_SETTINGS,
  type ConversationExport,
  type ConversationRecord,
  type ForgetResult,
  type LanguageSetting,
  type MediaRecord,
  type MediaSummary,
  type NewMedia,
  type QuestionSource,
  type ReplyLength,
  type StreamingSetting,
  type VoiceEchoSetting,
  type VoiceRepliesSetting,
  type TurnRecord,
  type TurnStatus,
  type UserExport,
  type UserKey,
  type UserRecord,
  type UserSettings,
} from './records.js';

interface UserRow {
  id: number;
  platform: string;
  platform_user_id: string;
  created_at: number;
}

interface SettingsRow {
  reply_length: ReplyLength;
  language: LanguageSetting;
  streaming: StreamingSetting;
  voice_echo: VoiceEchoSetting;
  voice_replies: VoiceRepliesSetting;
}

interface ConversationRow {
  id: number;
  user_id: number;
  chat_id: string;
  started_at: number;
  closed_at: number | null;
}

interface TurnRow {
  id: number;
  conversation_id: number;
  user_id: number;
  created_at: number;
  question: string;
  question_source: Exclude<QuestionSource, 'forwarded'>;
  /** 1 when the question is a forwarded message (migration 9). */
  question_forwarded: number;
  answer: string | null;
  status: TurnStatus;
  failure: string | null;
  incoming_message_id: string | null;
}

interface MediaSummaryRow {
  id: number;
  conversation_id: number;
  user_id: number;
  turn_id: number;
  created_at: number;
  expires_at: number;
  media_type: string;
  width: number;
  height: number;
  bytes: number;
  findings_bytes: number;
}

interface MediaRow extends Omit<MediaSummaryRow, 'bytes' | 'findings_bytes'> {
  data: Buffer;
  findings: string | null;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  platform: row.platform,
  platformUserId: row.platform_user_id,
  createdAt: row.created_at,
});

const toSettings = (row: SettingsRow): UserSettings => ({
  replyLength: row.reply_length,
  language: row.language,
  streaming: row.streaming,
  voiceEcho: row.voice_echo,
  voiceReplies: row.voice_replies,
});

const toConversation = (row: ConversationRow): ConversationRecord => ({
  id: row.id,
  userId: row.user_id,
  chatId: row.chat_id,
  startedAt: row.started_at,
  closedAt: row.closed_at,
});

const toTurn = (row: TurnRow): TurnRecord => ({
  id: row.id,
  conversationId: row.conversation_id,
  userId: row.user_id,
  createdAt: row.created_at,
  question: row.question,
  questionSource: row.question_forwarded === 1 ? 'forwarded' : row.question_source,
  answer: row.answer,
  status: row.status,
  failure: row.failure,
  incomingMessageId: row.incoming_message_id,
});

const toMediaFields = (row: Omit<MediaSummaryRow, 'bytes' | 'findings_bytes'>): Omit<MediaRecord, 'data' | 'findings'> => ({
  id: row.id,
  conversationId: row.conversation_id,
  userId: row.user_id,
  turnId: row.turn_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  mediaType: row.media_type,
  width: row.width,
  height: row.height,
});

const toMediaSummary = (row: MediaSummaryRow): MediaSummary => ({ ...toMediaFields(row), bytes: row.bytes, hasFindings: row.findings_bytes > 0 });

const toMedia = (row: MediaRow): MediaRecord => ({ ...toMediaFields(row), data: row.data, findings: row.findings });

const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

export interface BeginTurnInput {
  readonly conversationId: number;
  readonly userId: number;
  readonly question: string;
  readonly questionSource: QuestionSource;
  readonly incomingMessageId?: string;
  readonly media?: readonly NewMedia[];
  readonly mediaRetentionMs: number;
}

export interface StoreOptions {
  readonly now?: () => number;
  /**
   * Copies the write-ahead log into the database file from a worker thread instead of inside the
   * commit that crosses SQLite's threshold (see `startWalCheckpointer`). File databases only.
   * The main connection still checkpoints by itself once the log reaches `fallbackPages` (default
   * 8,000 pages, 32 MB, four times the worker's default), so the log stays bounded if the worker
   * falls behind or fails.
   */
  readonly backgroundCheckpoints?: boolean | (WalCheckpointerOptions & { readonly fallbackPages?: number });
}

/** All reads and writes of user data. Every multi-row write is one transaction. */
export class Store {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #sql: Statements;
  readonly #checkpointer: WalCheckpointer | undefined;
  /** Deleted rows may still have copies in the write-ahead log: a wipe did not complete yet. */
  #wipePending = false;
  readonly #wipeListeners = new Set<() => void>();
  readonly #mediaDeletedListeners = new Set<() => void>();

  constructor(db: Database.Database, options: StoreOptions = {}) {
    const version = db.pragma('user_version', { simple: true });
    if (version !== LATEST_SCHEMA_VERSION) {
      throw new Error(`Store needs schema version ${LATEST_SCHEMA_VERSION}, database is at ${String(version)}; open it with openDatabase`);
    }
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#sql = prepareStatements(db);
    const background = options.backgroundCheckpoints;
    if (background && !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal') {
      const settings = background === true ? {} : background;
      db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(settings.fallbackPages ?? 8000))}`);
      this.#checkpointer = startWalCheckpointer(db.name, settings);
    }
  }

  /** Checkpoints the background worker completed; undefined without one. */
  get backgroundCheckpoints(): number | undefined {
    return this.#checkpointer?.completed;
  }

  ensureUser(key: UserKey): UserRecord {
    return this.#db.transaction(() => {
      this.#sql.insertUser.run({ ...key, now: this.#now() });
      const row = this.#sql.findUser.get(key);
      if (!row) throw new Error('user vanished right after insert');
      return toUser(row);
    })();
  }

  findUser(key: UserKey): UserRecord | undefined {
    const row = this.#sql.findUser.get(key);
    return row && toUser(row);
  }

  getSettings(userId: number): UserSettings {
    const row = this.#sql.getSettings.get(userId);
    return row ? toSettings(row) : DEFAULT_SETTINGS;
  }

  updateSettings(userId: number, patch: Partial<UserSettings>): UserSettings {
    return this.#db.transaction(() => {
      const current = this.getSettings(userId);
      const next: UserSettings = {
        replyLength: patch.replyLength ?? current.replyLength,
        language: patch.language ?? current.language,
        streaming: patch.streaming ?? current.streaming,
        voiceEcho: patch.voiceEcho ?? current.voiceEcho,
        voiceReplies: patch.voiceReplies ?? current.voiceReplies,
      };
      this.#sql.upsertSettings.run({ userId, ...next, now: this.#now() });
      return next;
    })();
  }

  currentConversation(userId: number, chatId: string): ConversationRecord {
    return this.#db.transaction(() => {
      const open =
        this.#sql.openConversation.get({ userId, chatId }) ??
        this.#sql.insertConversation.get({ userId, chatId, now: this.#now() });
      if (!open) throw new Error('conversation vanished right after insert');
      return toConversation(open);
    })();
  }

  closeConversation(userId: number, chatId: string): boolean {
    return this.#sql.closeConversation.run({ userId, chatId, now: this.#now() }).changes > 0;
  }

  getConversation(id: number): ConversationRecord | undefined {
    const row = this.#sql.getConversation.get(id);
    return row && toConversation(row);
  }

  recentTurns(conversationId: number, limit: number): TurnRecord[] {
    // SQLite reads a negative LIMIT as "no limit".
    const count = Math.floor(limit);
    if (!(count > 0)) return [];
    return this.#sql.recentDoneTurns.all({ conversationId, limit: count }).map(toTurn);
  }

  beginTurn(input: BeginTurnInput): { turn: TurnRecord; media: MediaRecord[] } {
    return this.#db.transaction(() => {
      const now = this.#now();
      const turnRow = this.#sql.insertTurn.get({
        conversationId: input.conversationId,
        userId: input.userId,
        now,
        question: input.question,
        questionSource: input.questionSource === 'forwarded' ? 'text' : input.questionSource,
        questionForwarded: input.questionSource === 'forwarded' ? 1 : 0,
        incomingMessageId: input.incomingMessageId ?? null,
      });
      if (!turnRow) throw new Error('turn vanished right after insert');
      const media = (input.media ?? []).map((item) => {
        const row = this.#sql.insertMedia.get({
          conversationId: input.conversationId,
          userId: input.userId,
          turnId: turnRow.id,
          now,
          expiresAt: now + input.mediaRetentionMs,
          mediaType: item.mediaType,
          width: item.width,
          height: item.height,
          data: asBuffer(item.data),
          findings: item.findings ?? null,
        });
        if (!row) throw new Error('media vanished right after insert');
        return toMedia(row);
      });
      return { turn: toTurn(turnRow), media };
    })();
  }

  /**
   * With `event`, the delivery is recorded as answered in the same transaction. A turn deleted
   * meanwhile (the user asked to be forgotten) is silently skipped.
   */
  completeTurn(turnId: number, answer: string, event?: EventKey): void {
    this.#db.transaction(() => {
      this.#sql.finishTurn.run({ turnId, status: 'done', answer, failure: null });
      if (event) this.#recordEvent(event);
    })();
  }

  /**
   * `failure` is a short machine-readable reason; a partial answer is kept for the log of the turn.
   * With `event`, the delivery is recorded as answered (the user was told it failed) in the same
   * transaction.
   */
  failTurn(turnId: number, failure: string, partialAnswer?: string, event?: EventKey): void {
    this.#db.transaction(() => {
      this.#sql.finishTurn.run({ turnId, status: 'failed', answer: partialAnswer ?? null, failure });
      if (event) this.#recordEvent(event);
    })();
  }

  /** Whether this platform delivery was already answered. */
  isEventProcessed(event: EventKey): boolean {
    return this.#sql.findEvent.get({ platform: event.platform, eventId: event.eventId }) !== undefined;
  }

  /** Records a delivery answered without a turn (a command, a refusal); idempotent. */
  recordEvent(event: EventKey): void {
    this.#recordEvent(event);
  }

  sweepEventsOlderThan(cutoff: number): number {
    return this.#sql.sweepOldEvents.run(cutoff).changes;
  }

  #recordEvent(event: EventKey): void {
    this.#sql.insertEvent.run({ platform: event.platform, eventId: event.eventId, processedAt: this.#now() });
    // Answered: the inbox copy of the delivery (or of each part of an album) has done its job.
    for (const eventId of event.inboxIds ?? [event.eventId]) this.#sql.dropInboxEntry.run({ platform: event.platform, eventId });
  }

  /**
   * Keeps a delivery until it is answered, so a process that dies first answers it after a
   * restart. Idempotent; a delivery already answered is not kept again.
   */
  keepDelivery(entry: { platform: string; eventId: string; platformUserId: string; payload: string }): void {
    this.#db.transaction(() => {
      if (this.#sql.findEvent.get({ platform: entry.platform, eventId: entry.eventId }) !== undefined) return;
      this.#sql.insertInboxEntry.run({ ...entry, receivedAt: this.#now() });
    })();
  }

  /** Deliveries of a platform received but not yet answered, oldest first. */
  unansweredDeliveries(platform: string): InboxEntry[] {
    return this.#sql.inboxEntries.all(platform).map((row) => ({
      platform: row.platform,
      eventId: row.event_id,
      platformUserId: row.platform_user_id,
      receivedAt: row.received_at,
      payload: row.payload,
      attempts: row.attempts,
    }));
  }

  /** A delivery that needs no answer (not addressed to the bot), or one given up on. */
  dropDelivery(event: EventKey): void {
    this.#sql.dropInboxEntry.run({ platform: event.platform, eventId: event.eventId });
  }

  /** Counts a replay, so a delivery that crashes the process every time is given up on. */
  noteReplay(event: EventKey): void {
    this.#sql.countInboxAttempt.run({ platform: event.platform, eventId: event.eventId });
  }

  /**
   * Turns left `pending` by a process that died mid-answer are marked failed: their deliveries
   * are still in the inbox and get a fresh answer. Returns how many.
   */
  failInterruptedTurns(reason: string): number {
    return this.#sql.failPendingTurns.run(reason).changes;
  }

  sweepInboxOlderThan(cutoff: number): number {
    return this.#sql.sweepOldInbox.run(cutoff).changes;
  }

  /**
   * The photos of the latest turn that had any, still kept. With `upToTurnId`, the latest at or
   * before that turn: a reply to an earlier message is about the photo in view back then.
   */
  latestMedia(conversationId: number, upToTurnId: number = Number.MAX_SAFE_INTEGER): MediaRecord[] {
    return this.#sql.latestMedia.all({ conversationId, upToTurnId, now: this.#now() }).map(toMedia);
  }

  /** Idempotent; a turn deleted meanwhile is silently skipped. */
  /** What was seen in a stored photo, looked at after it was stored (an older photo read on request). */
  setMediaFindings(mediaId: number, findings: string): void {
    this.#sql.setMediaFindings.run({ mediaId, findings });
  }

  recordDelivery(turnId: number, platformMessageId: string): void {
    this.#sql.insertDelivery.run({ turnId, platformMessageId });
  }

  /** Message ids are only unique within a chat, hence the user and chat filters. */
  findTurnByMessage(userId: number, chatId: string, platformMessageId: string): TurnRecord | undefined {
    const row = this.#sql.findTurnByMessage.get({ userId, chatId, messageId: platformMessageId });
    return row && toTurn(row);
  }

  exportUser(userId: number): UserExport | undefined {
    return this.#db.transaction(() => {
      const userRow = this.#sql.getUser.get(userId);
      if (!userRow) return undefined;
      const settingsRow = this.#sql.getSettings.get(userId);
      const turns = this.#sql.turnsOfUser.all(userId).map(toTurn);
      const media = this.#sql.mediaOfUser.all(userId).map(toMediaSummary);
      const deliveries = new Map(
        this.#sql.deliveryCountsOfUser.all(userId).map((row) => [row.conversation_id, row.count]),
      );
      const conversations = this.#sql.conversationsOfUser.all(userId).map(
        (row): ConversationExport => ({
          ...toConversation(row),
          turns: turns.filter((turn) => turn.conversationId === row.id),
          media: media.filter((item) => item.conversationId === row.id),
          deliveries: deliveries.get(row.id) ?? 0,
        }),
      );
      return {
        user: toUser(userRow),
        settings: settingsRow ? toSettings(settingsRow) : DEFAULT_SETTINGS,
        settingsStored: settingsRow !== undefined,
        conversations,
      };
    })();
  }

  forgetUser(userId: number): ForgetResult {
    // Children first, so each count is what this user really had rather than hidden in a cascade.
    const result = this.#db.transaction(
      (): Omit<ForgetResult, 'wipedFromDisk'> => ({
        // Messages received but not yet answered are the user's words too.
        inbox: this.#sql.forgetInbox.run(userId).changes,
        deliveries: this.#sql.forgetDeliveries.run(userId).changes,
        media: this.#sql.forgetMedia.run(userId).changes,
        turns: this.#sql.forgetTurns.run(userId).changes,
        conversations: this.#sql.forgetConversations.run(userId).changes,
        settings: this.#sql.forgetSettings.run(userId).changes,
        users: this.#sql.forgetUserRow.run(userId).changes,
      }),
    )();
    return { ...result, wipedFromDisk: this.#wipeAfterDeleting() };
  }

  /** Deletes photos past their expiry and wipes them from the files (see `wipeDeletedData`). */
  sweepExpiredMedia(): number {
    const media = this.#sql.sweepExpiredMedia.run(this.#now()).changes;
    if (media > 0) this.#wipeAfterDeleting();
    return media;
  }

  /** Deletes turns created before `cutoff` (with their media and deliveries); returns how many turns. */
  sweepHistoryOlderThan(cutoff: number): number {
    const turns = this.#db.transaction(() => {
      this.#sql.sweepOldDeliveries.run(cutoff);
      this.#sql.sweepOldMedia.run(cutoff);
      const turns = this.#sql.sweepOldTurns.run(cutoff).changes;
      this.#sql.sweepEmptyClosedConversations.run();
      return turns;
    })();
    if (turns > 0) this.#wipeAfterDeleting();
    return turns;
  }

  /**
   * Removes every copy of deleted rows from the database files. secure_delete has already zeroed
   * their pages, but the write-ahead log keeps the older copies of those pages (the row as it was)
   * until it is reset; a checkpoint alone copies pages back without erasing the log. This
   * checkpoints and truncates the log to zero bytes.
   *
   * Never waits, so the event loop is never held: while another connection (another process, a
   * backup, an `sqlite3` shell) reads an older snapshot, the log cannot be reset and this returns
   * false; the deleted data then stays in the log until a later call succeeds (the retention
   * sweeper retries, see `onWipePending`) or the database is closed cleanly.
   */
  wipeDeletedData(): boolean {
    const busyTimeout = this.#db.pragma('busy_timeout', { simple: true }) as number;
    this.#db.pragma('busy_timeout = 0');
    let wiped: boolean;
    try {
      // An in-memory database answers busy 0 with no log at all: nothing to wipe. The background
      // checkpointer, if any, is held off (after the end of a checkpoint it may be running), or the
      // log would be busy for a reason of our own.
      const truncate = () => this.#db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      const rows = this.#checkpointer ? this.#checkpointer.exclusive(truncate) : truncate();
      wiped = rows[0]?.busy === 0;
    } finally {
      this.#db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    this.#wipePending = !wiped;
    return wiped;
  }

  /** Whether deleted data may still be in the write-ahead log because a wipe could not complete. */
  get wipePending(): boolean {
    return this.#wipePending;
  }

  /** Calls `listener` each time a deletion could not be wiped from the files at once; returns the unsubscribe. */
  onWipePending(listener: () => void): () => void {
    this.#wipeListeners.add(listener);
    return () => this.#wipeListeners.delete(listener);
  }

  /**
   * Calls `listener` after a deletion that may have taken photos (expiry, the history sweep,
   * forget-me), so that what was derived from them outside the database (a model's cached image
   * features) goes too; returns the unsubscribe.
   */
  onMediaDeleted(listener: () => void): () => void {
    this.#mediaDeletedListeners.add(listener);
    return () => this.#mediaDeletedListeners.delete(listener);
  }

  /** The deletion itself is committed whatever happens here, so a failed wipe is reported, not thrown. */
  #wipeAfterDeleting(): boolean {
    for (const listener of this.#mediaDeletedListeners) listener();
    let wiped = false;
    try {
      wiped = this.wipeDeletedData();
    } catch {
      this.#wipePending = true;
    }
    if (!wiped) for (const listener of this.#wipeListeners) listener();
    return wiped;
  }

  /** Whether a write reaches the database now (the health endpoint): one committed row, no one's data. */
  isWritable(): boolean {
    try {
      this.#db.prepare('INSERT OR REPLACE INTO health_probe (id, checked_at) VALUES (1, ?)').run(this.#now());
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the background checkpointer first, so the main connection is the last and removes the log on close. */
  close(): void {
    this.#checkpointer?.stop();
    this.#db.close();
  }
}

type Statements = ReturnType<typeof prepareStatements>;
type UserKeyParams = { platform: string; platformUserId: string };
/**
 * A platform delivery: `platform` and the platform's id for it (a Telegram update id). `inboxIds`:
 * the inbox entries it answers when they differ from `eventId` (the updates of an album).
 */
export type EventKey = { readonly platform: string; readonly eventId: string; readonly inboxIds?: readonly string[] };

/** A delivery kept in the inbox: the platform's own payload, to be handled again after a crash. */
export interface InboxEntry {
  readonly platform: string;
  readonly eventId: string;
  readonly platformUserId: string;
  readonly receivedAt: number;
  readonly payload: string;
  readonly attempts: number;
}

interface InboxRow {
  platform: string;
  event_id: string;
  platform_user_id: string;
  received_at: number;
  payload: string;
  attempts: number;
}

function prepareStatements(db: Database.Database) {
  const turnsBefore = 'SELECT id FROM turns WHERE created_at < ?';
  return {
    insertUser: db.prepare<UserKeyParams & { now: number }>(
      `INSERT INTO users (platform, platform_user_id, created_at) VALUES (@platform, @platformUserId, @now)
       ON CONFLICT (platform, platform_user_id) DO NOTHING`,
    ),
    findUser: db.prepare<UserKeyParams, UserRow>(
      'SELECT * FROM users WHERE platform = @platform AND platform_user_id = @platformUserId',
    ),
    getUser: db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?'),
    getSettings: db.prepare<[number], SettingsRow>('SELECT reply_length, language, streaming, voice_echo, voice_replies FROM settings WHERE user_id = ?'),
    upsertSettings: db.prepare<{ userId: number; replyLength: string; language: string; streaming: string; voiceEcho: string; voiceReplies: string; now: number }>(
      `INSERT INTO settings (user_id, reply_length, language, streaming, voice_echo, voice_replies, updated_at)
       VALUES (@userId, @replyLength, @language, @streaming, @voiceEcho, @voiceReplies, @now)
       ON CONFLICT (user_id) DO UPDATE SET
         reply_length = excluded.reply_length, language = excluded.language, streaming = excluded.streaming,
         voice_echo = excluded.voice_echo, voice_replies = excluded.voice_replies, updated_at = excluded.updated_at`,
    ),

    openConversation: db.prepare<{ userId: number; chatId: string }, ConversationRow>(
      `SELECT * FROM conversations WHERE user_id = @userId AND chat_id = @chatId AND closed_at IS NULL
       ORDER BY id DESC LIMIT 1`,
    ),
    insertConversation: db.prepare<{ userId: number; chatId: string; now: number }, ConversationRow>(
      'INSERT INTO conversations (user_id, chat_id, started_at) VALUES (@userId, @chatId, @now) RETURNING *',
    ),
    closeConversation: db.prepare<{ userId: number; chatId: string; now: number }>(
      `UPDATE conversations SET closed_at = @now
       WHERE user_id = @userId AND chat_id = @chatId AND closed_at IS NULL`,
    ),
    getConversation: db.prepare<[number], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
    conversationsOfUser: db.prepare<[number], ConversationRow>('SELECT * FROM conversations WHERE user_id = ? ORDER BY id'),

    insertTurn: db.prepare<
      {
        conversationId: number;
        userId: number;
        now: number;
        question: string;
        questionSource: string;
        questionForwarded: number;
        incomingMessageId: string | null;
      },
      TurnRow
    >(
      `INSERT INTO turns (conversation_id, user_id, created_at, question, question_source, question_forwarded, status, incoming_message_id)
       VALUES (@conversationId, @userId, @now, @question, @questionSource, @questionForwarded, 'pending', @incomingMessageId)
       RETURNING *`,
    ),
    findEvent: db.prepare<{ platform: string; eventId: string }, { found: number }>(
      'SELECT 1 AS found FROM processed_events WHERE platform = @platform AND event_id = @eventId',
    ),
    insertEvent: db.prepare<{ platform: string; eventId: string; processedAt: number }>(
      `INSERT INTO processed_events (platform, event_id, processed_at) VALUES (@platform, @eventId, @processedAt)
       ON CONFLICT DO NOTHING`,
    ),
    sweepOldEvents: db.prepare<[number]>('DELETE FROM processed_events WHERE processed_at < ?'),
    insertInboxEntry: db.prepare<{ platform: string; eventId: string; platformUserId: string; payload: string; receivedAt: number }>(
      `INSERT INTO inbox (platform, event_id, platform_user_id, received_at, payload)
       VALUES (@platform, @eventId, @platformUserId, @receivedAt, @payload) ON CONFLICT DO NOTHING`,
    ),
    inboxEntries: db.prepare<[string], InboxRow>('SELECT * FROM inbox WHERE platform = ? ORDER BY received_at, rowid'),
    dropInboxEntry: db.prepare<{ platform: string; eventId: string }>('DELETE FROM inbox WHERE platform = @platform AND event_id = @eventId'),
    countInboxAttempt: db.prepare<{ platform: string; eventId: string }>(
      'UPDATE inbox SET attempts = attempts + 1 WHERE platform = @platform AND event_id = @eventId',
    ),
    sweepOldInbox: db.prepare<[number]>('DELETE FROM inbox WHERE received_at < ?'),
    failPendingTurns: db.prepare<[string]>(`UPDATE turns SET status = 'failed', failure = ? WHERE status = 'pending'`),
    forgetInbox: db.prepare<[number]>(
      'DELETE FROM inbox WHERE (platform, platform_user_id) = (SELECT platform, platform_user_id FROM users WHERE id = ?)',
    ),
    finishTurn: db.prepare<{ turnId: number; status: TurnStatus; answer: string | null; failure: string | null }>(
      'UPDATE turns SET status = @status, answer = @answer, failure = @failure WHERE id = @turnId',
    ),
    recentDoneTurns: db.prepare<{ conversationId: number; limit: number }, TurnRow>(
      `SELECT * FROM (
         SELECT * FROM turns WHERE conversation_id = @conversationId AND status = 'done'
         ORDER BY id DESC LIMIT @limit
       ) ORDER BY id`,
    ),
    turnsOfUser: db.prepare<[number], TurnRow>('SELECT * FROM turns WHERE user_id = ? ORDER BY id'),
    findTurnByMessage: db.prepare<{ userId: number; chatId: string; messageId: string }, TurnRow>(
      `SELECT turns.* FROM turns JOIN conversations ON conversations.id = turns.conversation_id
       WHERE turns.user_id = @userId AND conversations.user_id = @userId AND conversations.chat_id = @chatId
         AND turns.id IN (
           SELECT turn_id FROM deliveries WHERE platform_message_id = @messageId
           UNION ALL
           SELECT id FROM turns WHERE incoming_message_id = @messageId
         )
       ORDER BY turns.id DESC LIMIT 1`,
    ),

    insertMedia: db.prepare<
      {
        conversationId: number;
        userId: number;
        turnId: number;
        now: number;
        expiresAt: number;
        mediaType: string;
        width: number;
        height: number;
        data: Buffer;
        findings: string | null;
      },
      MediaRow
    >(
      `INSERT INTO media (conversation_id, user_id, turn_id, created_at, expires_at, media_type, width, height, data, findings)
       VALUES (@conversationId, @userId, @turnId, @now, @expiresAt, @mediaType, @width, @height, @data, @findings)
       RETURNING *`,
    ),
    latestMedia: db.prepare<{ conversationId: number; upToTurnId: number; now: number }, MediaRow>(
      `SELECT * FROM media
       WHERE conversation_id = @conversationId AND expires_at > @now
         AND turn_id = (
           SELECT max(turn_id) FROM media
           WHERE conversation_id = @conversationId AND expires_at > @now AND turn_id <= @upToTurnId
         )
       ORDER BY id`,
    ),
    setMediaFindings: db.prepare<{ mediaId: number; findings: string }>('UPDATE media SET findings = @findings WHERE id = @mediaId'),
    mediaOfUser: db.prepare<[number], MediaSummaryRow>(
      `SELECT id, conversation_id, user_id, turn_id, created_at, expires_at, media_type, width, height,
              length(data) AS bytes, coalesce(length(findings), 0) AS findings_bytes
       FROM media WHERE user_id = ? ORDER BY id`,
    ),

    insertDelivery: db.prepare<{ turnId: number; platformMessageId: string }>(
      `INSERT INTO deliveries (turn_id, platform_message_id)
       SELECT id, @platformMessageId FROM turns WHERE id = @turnId
       ON CONFLICT (turn_id, platform_message_id) DO NOTHING`,
    ),
    deliveryCountsOfUser: db.prepare<[number], { conversation_id: number; count: number }>(
      `SELECT turns.conversation_id, count(*) AS count
       FROM deliveries JOIN turns ON turns.id = deliveries.turn_id
       WHERE turns.user_id = ? GROUP BY turns.conversation_id`,
    ),

    forgetDeliveries: db.prepare<[number]>(
      'DELETE FROM deliveries WHERE turn_id IN (SELECT id FROM turns WHERE user_id = ?)',
    ),
    forgetMedia: db.prepare<[number]>('DELETE FROM media WHERE user_id = ?'),
    forgetTurns: db.prepare<[number]>('DELETE FROM turns WHERE user_id = ?'),
    forgetConversations: db.prepare<[number]>('DELETE FROM conversations WHERE user_id = ?'),
    forgetSettings: db.prepare<[number]>('DELETE FROM settings WHERE user_id = ?'),
    forgetUserRow: db.prepare<[number]>('DELETE FROM users WHERE id = ?'),

    sweepExpiredMedia: db.prepare<[number]>('DELETE FROM media WHERE expires_at <= ?'),
    sweepOldDeliveries: db.prepare<[number]>(`DELETE FROM deliveries WHERE turn_id IN (${turnsBefore})`),
    sweepOldMedia: db.prepare<[number]>(`DELETE FROM media WHERE turn_id IN (${turnsBefore})`),
    sweepOldTurns: db.prepare<[number]>('DELETE FROM turns WHERE created_at < ?'),
    sweepEmptyClosedConversations: db.prepare(
      `DELETE FROM conversations
       WHERE closed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM turns WHERE turns.conversation_id = conversations.id)`,
    ),
  };
}
