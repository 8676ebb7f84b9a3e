import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccessPolicy, parseUserIdList, type AccessPolicyOptions } from '../core/scheduling/access-policy.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A clock that moves only when the test moves it. */
class FakeClock {
  constructor(public time: number) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

function policyAt(iso: string, options: Omit<AccessPolicyOptions, 'now'>): { policy: AccessPolicy; clock: FakeClock } {
  const clock = new FakeClock(Date.parse(iso));
  return { policy: new AccessPolicy({ ...options, now: clock.now }), clock };
}

describe('allow-list and admins', () => {
  test('with no list everyone is allowed, and nothing is remembered', () => {
    const policy = new AccessPolicy();
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.deepEqual(policy.check('discord', '2'), { allowed: true });
    assert.equal(policy.isAllowed('telegram', '3'), true);
    assert.equal(policy.trackedUsers, 0);
  });

  test('an empty allow-list is the same as none', () => {
    const policy = new AccessPolicy({ allowList: [] });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
  });

  test('with a list, only the people on it are allowed, matched by platform and id', () => {
    const policy = new AccessPolicy({ allowList: ['telegram:1', 'discord:2'] });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.deepEqual(policy.check('discord', '2'), { allowed: true });
    assert.deepEqual(policy.check('telegram', '2'), { allowed: false, reason: 'not-allowed' });
    assert.deepEqual(policy.check('discord', '1'), { allowed: false, reason: 'not-allowed' });
    assert.equal(policy.isAllowed('telegram', '2'), false);
  });

  test('an admin is allowed without being on the allow-list, and is never limited or counted', () => {
    const { policy } = policyAt('2026-12-02T12:00:00Z', { allowList: ['telegram:1'], admins: ['Telegram:99'], ratePerMinute: 1, dailyQuota: 1 });
    assert.equal(policy.isAdmin('telegram', '99'), true);
    assert.equal(policy.isAdmin('telegram', '1'), false);
    assert.equal(policy.isAllowed('telegram', '99'), true);
    for (let turn = 0; turn < 50; turn++) assert.deepEqual(policy.check('telegram', '99'), { allowed: true });
    assert.equal(policy.trackedUsers, 0);
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.equal(policy.check('telegram', '1').allowed, false);
  });

  test('admins alone do not make the assistant private', () => {
    const policy = new AccessPolicy({ admins: ['telegram:99'] });
    assert.deepEqual(policy.check('telegram', '5'), { allowed: true });
  });

  test('a refused person is not counted', () => {
    const { policy } = policyAt('2026-12-02T12:00:00Z', { allowList: ['telegram:1'], dailyQuota: 1 });
    for (let turn = 0; turn < 5; turn++) policy.check('telegram', '2');
    assert.equal(policy.trackedUsers, 0);
  });

  test('a malformed entry in the options is refused at start-up, naming it', () => {
    assert.throws(() => new AccessPolicy({ allowList: ['telegram:1', 'bob'] }), /"bob"/);
    assert.throws(() => new AccessPolicy({ admins: ['telegram:@alice'] }), /"telegram:@alice".*\/mydata/);
  });
});

describe('rate limit', () => {
  test('refuses the (n+1)th turn in a minute and takes it again after retryAfterMs', () => {
    const { policy, clock } = policyAt('2026-12-02T12:00:00Z', { ratePerMinute: 3 });
    for (let turn = 0; turn < 3; turn++) assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    const refused = policy.check('telegram', '1');
    assert.equal(refused.allowed, false);
    assert.ok(!refused.allowed && refused.reason === 'rate-limited');
    // Three at once, then one every 20 seconds.
    assert.equal(refused.retryAfterMs, 20_000);

    clock.advance(refused.retryAfterMs - 1);
    const stillRefused = policy.check('telegram', '1');
    assert.ok(!stillRefused.allowed && stillRefused.reason === 'rate-limited');
    assert.equal(stillRefused.retryAfterMs, 1);
    clock.advance(1);
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.equal(policy.check('telegram', '1').allowed, false);
  });

  test('each person has their own limit', () => {
    const { policy } = policyAt('2026-12-02T12:00:00Z', { ratePerMinute: 1 });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.equal(policy.check('telegram', '1').allowed, false);
    assert.deepEqual(policy.check('telegram', '2'), { allowed: true });
    assert.deepEqual(policy.check('discord', '1'), { allowed: true });
  });

  test('a full minute of quiet gives the whole burst back', () => {
    const { policy, clock } = policyAt('2026-12-02T12:00:00Z', { ratePerMinute: 5 });
    for (let turn = 0; turn < 5; turn++) policy.check('telegram', '1');
    clock.advance(MINUTE_MS);
    for (let turn = 0; turn < 5; turn++) assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.equal(policy.check('telegram', '1').allowed, false);
  });

  test('refused attempts do not push the next turn further away', () => {
    const { policy, clock } = policyAt('2026-12-02T12:00:00Z', { ratePerMinute: 2 });
    policy.check('telegram', '1');
    policy.check('telegram', '1');
    const first = policy.check('telegram', '1');
    assert.ok(!first.allowed && first.reason === 'rate-limited');
    for (let attempt = 0; attempt < 100; attempt++) {
      clock.advance(100);
      policy.check('telegram', '1');
    }
    const later = policy.check('telegram', '1');
    assert.ok(!later.allowed && later.reason === 'rate-limited');
    assert.equal(later.retryAfterMs, first.retryAfterMs - 10_000);
  });

  test('waiting exactly retryAfterMs is always enough, whatever the rate', () => {
    for (const rate of [1, 3, 7, 13, 59, 61, 997, 10_000]) {
      const { policy, clock } = policyAt('2026-12-02T12:00:00.123Z', { ratePerMinute: rate });
      let allowed = 0;
      for (let attempt = 0; attempt < 3 * rate + 10; attempt++) {
        const decision = policy.check('telegram', '1');
        if (decision.allowed) {
          allowed++;
          continue;
        }
        assert.ok(decision.reason === 'rate-limited' && decision.retryAfterMs >= 1, `rate ${rate}`);
        clock.advance(decision.retryAfterMs);
        assert.deepEqual(policy.check('telegram', '1'), { allowed: true }, `rate ${rate}`);
        allowed++;
      }
      assert.ok(allowed > rate, `rate ${rate}`);
    }
  });

  test('over ten minutes a steady sender gets about n a minute, never more than the burst beyond it', () => {
    const { policy, clock } = policyAt('2026-12-02T12:00:00Z', { ratePerMinute: 6 });
    let allowed = 0;
    for (let second = 0; second < 600; second++) {
      if (policy.check('telegram', '1').allowed) allowed++;
      clock.advance(1000);
    }
    assert.ok(allowed >= 60 && allowed <= 66, `${allowed} turns in ten minutes`);
  });
});

describe('daily quota', () => {
  test('refuses after N turns until local midnight, then gives the day back', () => {
    const { policy, clock } = policyAt('2026-12-02T09:00:00Z', { dailyQuota: 3, timeZone: 'UTC' });
    for (let turn = 0; turn < 3; turn++) {
      assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
      clock.advance(HOUR_MS);
    }
    const midnight = Date.parse('2026-12-03T00:00:00Z');
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: midnight, limit: 3 });
    clock.time = midnight - 1;
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: midnight, limit: 3 });
    clock.time = midnight;
    for (let turn = 0; turn < 3; turn++) assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: Date.parse('2026-12-04T00:00:00Z'), limit: 3 });
  });

  test('refused attempts do not use the quota up', () => {
    const { policy, clock } = policyAt('2026-12-02T09:00:00Z', { dailyQuota: 2, ratePerMinute: 1, timeZone: 'UTC' });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    // Refused by the rate limit: neither turn counts against the day.
    assert.equal(policy.check('telegram', '1').allowed, false);
    assert.equal(policy.check('telegram', '1').allowed, false);
    clock.advance(MINUTE_MS);
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    clock.advance(MINUTE_MS);
    assert.equal(policy.check('telegram', '1').allowed, false);
  });

  test('a spent day is reported as the quota, not as a short wait', () => {
    const { policy } = policyAt('2026-12-02T09:00:00Z', { dailyQuota: 1, ratePerMinute: 1, timeZone: 'UTC' });
    policy.check('telegram', '1');
    const decision = policy.check('telegram', '1');
    assert.ok(!decision.allowed && decision.reason === 'quota');
  });

  test('the day follows the configured zone: a UTC+8 day ends at 16:00 UTC', () => {
    const { policy, clock } = policyAt('2026-12-02T15:30:00Z', { dailyQuota: 1, timeZone: 'Asia/Shanghai' });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    const midnight = Date.parse('2026-12-02T16:00:00Z');
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: midnight, limit: 1 });
    clock.time = midnight;
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
  });

  test('a 23-hour day in New York (clocks go forward) ends at the right midnight', () => {
    // 2026-03-08: midnight is 05:00 UTC (EST), the next is 04:00 UTC (EDT).
    const { policy, clock } = policyAt('2026-03-08T05:00:00Z', { dailyQuota: 1, timeZone: 'America/New_York' });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    const midnight = Date.parse('2026-03-09T04:00:00Z');
    assert.equal(midnight - Date.parse('2026-03-08T05:00:00Z'), 23 * HOUR_MS);
    clock.time = Date.parse('2026-03-09T03:59:59.999Z');
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: midnight, limit: 1 });
    clock.time = midnight;
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
  });

  test('a 25-hour day in New York (clocks go back) ends at the right midnight', () => {
    // 2026-11-01: midnight is 04:00 UTC (EDT), the next is 05:00 UTC (EST).
    const { policy, clock } = policyAt('2026-11-01T04:00:00Z', { dailyQuota: 1, timeZone: 'America/New_York' });
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
    const midnight = Date.parse('2026-11-02T05:00:00Z');
    // 23:30 local on the first, after the repeated 01:00 hour.
    clock.time = Date.parse('2026-11-02T04:30:00Z');
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: midnight, limit: 1 });
    clock.time = midnight;
    assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
  });

  test('where a DST change skips midnight, the day starts at the first local hour that exists', () => {
    // Santiago, 2026-09-06: 24:00 on the fifth becomes 01:00 on the sixth, at 04:00 UTC.
    const { policy } = policyAt('2026-09-05T20:00:00Z', { dailyQuota: 1, timeZone: 'America/Santiago' });
    policy.check('telegram', '1');
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: Date.parse('2026-09-06T04:00:00Z'), limit: 1 });
  });

  test("without a zone the day is the system's", () => {
    const start = new Date(2026, 11, 2, 9, 0, 0).getTime();
    const clock = new FakeClock(start);
    const policy = new AccessPolicy({ dailyQuota: 1, now: clock.now });
    policy.check('telegram', '1');
    assert.deepEqual(policy.check('telegram', '1'), { allowed: false, reason: 'quota', resetsAt: new Date(2026, 11, 3).getTime(), limit: 1 });
  });

  test('an unknown zone is refused with the fix', () => {
    assert.throws(() => new AccessPolicy({ dailyQuota: 1, timeZone: 'Mars/Olympus' }), /"Mars\/Olympus" is not a time zone.*IANA/);
  });

  test('limits that are not whole positive numbers are refused', () => {
    assert.throws(() => new AccessPolicy({ ratePerMinute: 0 }), /ratePerMinute/);
    assert.throws(() => new AccessPolicy({ dailyQuota: 1.5 }), /dailyQuota/);
  });
});

describe('memory', () => {
  test('100,000 people over ten days: only the current day is remembered, then nobody', () => {
    const { policy, clock } = policyAt('2026-12-01T00:00:00Z', { ratePerMinute: 2, dailyQuota: 5, timeZone: 'UTC' });
    const perDay = 10_000;
    let largest = 0;
    for (let day = 0; day < 10; day++) {
      for (let person = 0; person < perDay; person++) {
        // Spread across the day, each person twice, a few seconds apart.
        clock.time = Date.parse('2026-12-01T00:00:00Z') + day * DAY_MS + Math.floor((person * DAY_MS) / perDay);
        const id = String(day * perDay + person);
        assert.deepEqual(policy.check('telegram', id), { allowed: true });
        assert.deepEqual(policy.check('telegram', id), { allowed: true });
        largest = Math.max(largest, policy.trackedUsers);
      }
    }
    // A day's people must be kept for their quota; the previous day's go within a minute of midnight.
    assert.ok(largest <= perDay + 10, `${largest} remembered at most`);
    clock.advance(DAY_MS);
    policy.check('telegram', 'next-day');
    assert.equal(policy.trackedUsers, 1);
  });

  test('with only a rate limit, people are forgotten once their minute is over', () => {
    const { policy, clock } = policyAt('2026-12-01T00:00:00Z', { ratePerMinute: 10 });
    let largest = 0;
    for (let person = 0; person < 100_000; person++) {
      clock.advance(100);
      policy.check('discord', String(person));
      largest = Math.max(largest, policy.trackedUsers);
    }
    // Ten people a second, each remembered for 6 seconds, swept once a minute.
    assert.ok(largest <= 700, `${largest} remembered at most`);
  });
});

describe('parseUserIdList', () => {
  test('reads comma, semicolon and space separated ids, lower-casing the platform and dropping repeats', () => {
    assert.deepEqual(parseUserIdList(' telegram:123456789, discord:80351110224678912;Telegram:5\n console:alice  telegram:5 '), [
      'telegram:123456789',
      'discord:80351110224678912',
      'telegram:5',
      'console:alice',
    ]);
  });

  test('an empty or blank text is an empty list', () => {
    assert.deepEqual(parseUserIdList(''), []);
    assert.deepEqual(parseUserIdList(' ,  , '), []);
  });

  test('a bad entry is refused with an error naming it', () => {
    assert.throws(() => parseUserIdList('telegram:1, 123456'), { message: /"123456".*telegram:123456789/ });
    assert.throws(() => parseUserIdList('telegram:1 telegram:'), { message: /"telegram:".*no account id/ });
    assert.throws(() => parseUserIdList(':123'), { message: /":123".*platform name/ });
    assert.throws(() => parseUserIdList('9gag:1'), { message: /"9gag:1"/ });
    assert.throws(() => parseUserIdList('telegram:@alice'), { message: /"telegram:@alice".*username.*\/mydata/ });
  });
});

test('a refunded turn (the line was full) costs neither quota nor rate', () => {
  const now = Date.parse('2026-12-02T09:00:00Z');
  const policy = new AccessPolicy({ dailyQuota: 1, ratePerMinute: 1, timeZone: 'UTC', now: () => now });
  assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
  policy.refund('telegram', '1');
  assert.deepEqual(policy.check('telegram', '1'), { allowed: true });
  assert.equal(policy.check('telegram', '1').allowed, false);
});
