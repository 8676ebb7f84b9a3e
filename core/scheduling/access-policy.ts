/**
 * Who may use the assistant and how much: an allow-list, admins, a per-person rate limit and a daily
 * quota of model turns. All optional; with none set, everyone is allowed and nothing is stored.
 *
 * The counts live in this process's memory only: a restart forgets them, so a person gets a fresh
 * minute and a fresh day. Counts shared by several processes (held in PostgreSQL) are a later step.
 */

/** What `check` answers for one model turn. */
export type AccessDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'not-allowed' }
  /** `retryAfterMs`: how long until the next turn would be taken. */
  | { readonly allowed: false; readonly reason: 'rate-limited'; readonly retryAfterMs: number }
  /** `resetsAt`: the next local midnight (epoch ms), when the day's turns come back. */
  | { readonly allowed: false; readonly reason: 'quota'; readonly resetsAt: number; readonly limit: number };

export interface AccessPolicyOptions {
  /** `platform:userId` ids; empty or absent lets everyone in. */
  readonly allowList?: readonly string[];
  /** `platform:userId` ids; always allowed, never limited or counted. */
  readonly admins?: readonly string[];
  /** Model turns a person may start in a minute: that many at once, then one every 60/n seconds. */
  readonly ratePerMinute?: number;
  /** Model turns a person may start in one local day. */
  readonly dailyQuota?: number;
  /** Epoch milliseconds; tests pass a fake clock. */
  readonly now?: () => number;
  /** The IANA zone whose midnight starts a new day; absent: the system's. */
  readonly timeZone?: string;
}

const ALLOWED: AccessDecision = Object.freeze({ allowed: true });
const NOT_ALLOWED: AccessDecision = Object.freeze({ allowed: false, reason: 'not-allowed' });

const MINUTE_MS = 60_000;
/** People whose minute and day are over are forgotten at most this often, so a sweep stays cheap. */
const PRUNE_INTERVAL_MS = MINUTE_MS;
/** Floating-point slack: waiting exactly `retryAfterMs` must be enough. */
const EPSILON_MS = 1e-3;
/** Longer than any local day (25 hours at a DST change), so the next day has begun by then. */
const SEARCH_SPAN_MS = 48 * 3_600_000;

/** Only what the limits need: no names, no messages, no history of times. */
interface Usage {
  /**
   * The rate limit as a GCRA (a token bucket kept as one number): the time the bucket would be full
   * again. A turn is taken while it lies at most (n - 1) intervals ahead of now.
   */
  fullAt: number;
  /** The end of the local day `dayCount` belongs to (epoch ms). */
  dayEnd: number;
  dayCount: number;
}

export class AccessPolicy {
  private readonly allowList: ReadonlySet<string> | undefined;
  private readonly admins: ReadonlySet<string>;
  private readonly intervalMs: number | undefined;
  private readonly burstToleranceMs: number;
  private readonly dailyQuota: number | undefined;
  private readonly now: () => number;
  private readonly localDate: Intl.DateTimeFormat;
  private readonly usage = new Map<string, Usage>();
  private lastPrune = Number.NEGATIVE_INFINITY;
  private day: { readonly from: number; readonly end: number } | undefined;

  constructor(options: AccessPolicyOptions = {}) {
    const allowList = (options.allowList ?? []).map(normaliseUserId);
    this.allowList = allowList.length > 0 ? new Set(allowList) : undefined;
    this.admins = new Set((options.admins ?? []).map(normaliseUserId));
    if (options.ratePerMinute !== undefined) {
      const rate = positiveInteger(options.ratePerMinute, 'ratePerMinute');
      this.intervalMs = MINUTE_MS / rate;
      this.burstToleranceMs = this.intervalMs * (rate - 1);
    } else {
      this.burstToleranceMs = 0;
    }
    if (options.dailyQuota !== undefined) this.dailyQuota = positiveInteger(options.dailyQuota, 'dailyQuota');
    this.now = options.now ?? Date.now;
    this.localDate = dateFormatter(options.timeZone);
  }

  /**
   * Called once for each model turn about to start (never for commands); an allowed turn is counted,
   * a refused one is not, so asking again later costs nothing extra.
   */
  check(platform: string, userId: string): AccessDecision {
    const id = `${platform}:${userId}`;
    if (this.admins.has(id)) return ALLOWED;
    if (this.allowList && !this.allowList.has(id)) return NOT_ALLOWED;
    if (this.intervalMs === undefined && this.dailyQuota === undefined) return ALLOWED;

    const now = this.now();
    this.pruneIfDue(now);
    const usage = this.usage.get(id);

    // The quota first: telling someone to wait a few seconds, then that the day is over, helps nobody.
    let dayEnd = 0;
    let dayCount = 0;
    if (this.dailyQuota !== undefined) {
      dayEnd = this.dayEnd(now);
      dayCount = usage && now < usage.dayEnd ? usage.dayCount : 0;
      if (dayCount >= this.dailyQuota) return { allowed: false, reason: 'quota', resetsAt: dayEnd, limit: this.dailyQuota };
    }

    let fullAt = 0;
    if (this.intervalMs !== undefined) {
      const from = Math.max(usage?.fullAt ?? now, now);
      const ahead = from - now - this.burstToleranceMs;
      if (ahead > EPSILON_MS) return { allowed: false, reason: 'rate-limited', retryAfterMs: Math.ceil(ahead) };
      fullAt = from + this.intervalMs;
    }

    if (usage) {
      usage.fullAt = fullAt;
      usage.dayEnd = dayEnd;
      usage.dayCount = dayCount + 1;
    } else {
      this.usage.set(id, { fullAt, dayEnd, dayCount: dayCount + 1 });
    }
    return ALLOWED;
  }

  /**
   * Gives back a turn `check` counted that never ran (the waiting line was full): the person was
   * told to try again, and trying again must not cost them twice.
   */
  refund(platform: string, userId: string): void {
    const id = `${platform}:${userId}`;
    const usage = this.usage.get(id);
    if (!usage || this.admins.has(id)) return;
    if (usage.dayCount > 0) usage.dayCount -= 1;
    if (this.intervalMs !== undefined) usage.fullAt = Math.max(this.now(), usage.fullAt - this.intervalMs);
  }

  isAdmin(platform: string, userId: string): boolean {
    return this.admins.has(`${platform}:${userId}`);
  }

  /** The allow-list alone (admins included), without counting: for gating commands as well as turns. */
  isAllowed(platform: string, userId: string): boolean {
    const id = `${platform}:${userId}`;
    return !this.allowList || this.allowList.has(id) || this.admins.has(id);
  }

  /** How many people the policy remembers now; for tests and an operator's gauge. */
  get trackedUsers(): number {
    return this.usage.size;
  }

  /** Forgets everyone whose bucket is full again and whose day is over: they start afresh anyway. */
  private pruneIfDue(now: number): void {
    if (now - this.lastPrune < PRUNE_INTERVAL_MS && now >= this.lastPrune) return;
    this.lastPrune = now;
    for (const [id, usage] of this.usage) {
      if (usage.fullAt <= now && (usage.dayEnd <= now || usage.dayCount === 0)) this.usage.delete(id);
    }
  }

  /** The start of the next local day, worked out once a day rather than for every turn. */
  private dayEnd(now: number): number {
    if (this.day && this.day.from <= now && now < this.day.end) return this.day.end;
    const end = nextLocalDayStart(now, this.localDate);
    this.day = { from: now, end };
    return end;
  }
}

/**
 * The first instant whose local date is later than `now`'s: local midnight on most days, 01:00 where
 * a DST change skips midnight (America/Santiago), correct for 23- and 25-hour days. A search over
 * the formatter's answers needs no offset arithmetic and no table of zone rules.
 */
export function nextLocalDayStart(now: number, formatter: Intl.DateTimeFormat): number {
  const today = localDateNumber(now, formatter);
  let before = Math.floor(now);
  let after = before + SEARCH_SPAN_MS;
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (localDateNumber(middle, formatter) > today) after = middle;
    else before = middle;
  }
  return after;
}

function dateFormatter(timeZone: string | undefined): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      // Pinned so the parts are Gregorian numbers whatever the system locale prefers.
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      ...(timeZone ? { timeZone } : {}),
    });
  } catch (error) {
    throw new Error(`"${timeZone}" is not a time zone; use an IANA name such as Europe/London or Asia/Shanghai.`, { cause: error });
  }
}

/** 2026-12-02 as 20261202, so days compare as numbers. */
function localDateNumber(time: number, formatter: Intl.DateTimeFormat): number {
  let year = 0;
  let month = 0;
  let day = 0;
  for (const part of formatter.formatToParts(time)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  return year * 10_000 + month * 100 + day;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1, not ${value}.`);
  return value;
}

const PLATFORM = /^[a-z][a-z0-9_-]*$/;
const SEPARATORS = /[\s,;]+/;

/**
 * Reads a list such as "telegram:123456789, discord:80351110224678912" (commas, semicolons or spaces
 * between entries) for ALLOWED_USERS and ADMIN_USERS; throws on the first bad entry, naming it.
 */
export function parseUserIdList(text: string): string[] {
  const ids = text
    .split(SEPARATORS)
    .filter((entry) => entry.length > 0)
    .map(normaliseUserId);
  return [...new Set(ids)];
}

/** Checks one `platform:userId` entry and lower-cases the platform name, which is all that may vary. */
function normaliseUserId(entry: string): string {
  const example = 'a platform and an account id such as telegram:123456789';
  const colon = entry.indexOf(':');
  if (colon < 0) throw new Error(`"${entry}" in the user list needs ${example}.`);
  const platform = entry.slice(0, colon).toLowerCase();
  const userId = entry.slice(colon + 1);
  if (!PLATFORM.test(platform)) throw new Error(`"${entry}" in the user list does not start with a platform name; it needs ${example}.`);
  if (userId.length === 0 || /[\s,;]/.test(userId)) throw new Error(`"${entry}" in the user list has no account id after the colon; it needs ${example}.`);
  if (userId.startsWith('@')) {
    throw new Error(`"${entry}" in the user list is a username; use the account id instead, which the person can see by sending /mydata, such as telegram:123456789.`);
  }
  return `${platform}:${userId}`;
}
