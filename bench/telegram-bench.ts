/**
 * The Telegram adapter's own cost: the real grammy bot and runner against the fake Bot API on
 * loopback, with an instant model, so what is measured is HTTP, grammy, the core and SQLite.
 * Latency runs from queueing an update to the Bot API receiving the answer's last message.
 */
import { privateChat, telegramUser } from '../test/helpers/fake-telegram.js';
import { startTelegramHarness } from '../test/helpers/telegram-harness.js';
import type { PlatformFigures } from './platform-figures.js';


const CHATS = 50;

export async function measureTelegram(sequentialUpdates: number, burstUpdates: number): Promise<PlatformFigures> {
  const harness = await startTelegramHarness();
  try {
    const users = Array.from({ length: CHATS }, (_, index) => telegramUser({ id: 50_000 + index }));
    let expected = 0;
    const latencyMs: number[] = [];
    // One update at a time: from the update being queued to the answer's last message arriving.
    for (let index = 0; index < sequentialUpdates; index += 1) {
      const user = users[index % CHATS]!;
      const question = `question ${index}`;
      const started = performance.now();
      const answered = harness.telegram.waitFor((call) => call.method === 'sendMessage' && call.params.text === `You asked: ${question}`);
      harness.telegram.sendText({ chat: privateChat(user), from: user, text: question });
      await answered;
      latencyMs.push(performance.now() - started);
      expected += 2;
    }
    // A burst across many chats: how many updates a second the bot gets through.
    const started = performance.now();
    for (let index = 0; index < burstUpdates; index += 1) {
      const user = users[index % CHATS]!;
      harness.telegram.sendText({ chat: privateChat(user), from: user, text: `burst ${index}` });
    }
    expected += burstUpdates * 2;
    await harness.messages(expected, undefined, 300_000);
    const seconds = (performance.now() - started) / 1000;
    return { latencyMs, perSecond: burstUpdates / seconds, burst: burstUpdates };
  } finally {
    await harness.close();
  }
}
