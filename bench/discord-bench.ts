/**
 * The Discord adapter's own cost: the real discord.js client against the fake gateway and REST on
 * loopback, with an instant model. Latency runs from the gateway dispatching a message to the REST
 * API receiving the answer's last part.
 */
import { discordUser } from '../test/helpers/fake-discord.js';
import { startDiscordHarness } from '../test/helpers/discord-harness.js';
import type { PlatformFigures } from './platform-figures.js';


const USERS = 50;

export async function measureDiscord(sequentialMessages: number, burstMessages: number): Promise<PlatformFigures> {
  const harness = await startDiscordHarness();
  try {
    const users = Array.from({ length: USERS }, (_, index) => discordUser({ username: `bench${index}` }));
    const answeredWith = (text: string) =>
      harness.discord.waitFor(
        (call) => call.method === 'POST' && (call.body as { content?: string } | undefined)?.content === `You asked: ${text}`,
        { timeoutMs: 60_000 },
      );
    const latencyMs: number[] = [];
    for (let index = 0; index < sequentialMessages; index += 1) {
      const question = `question ${index}`;
      const answered = answeredWith(question);
      const started = performance.now();
      harness.discord.dmMessage({ author: users[index % USERS]!, content: question });
      await answered;
      latencyMs.push(performance.now() - started);
    }
    const last = `burst ${burstMessages - 1}`;
    const started = performance.now();
    const expected = harness.discord.sentMessages().length + burstMessages * 2;
    for (let index = 0; index < burstMessages; index += 1) {
      harness.discord.dmMessage({ author: users[index % USERS]!, content: `burst ${index}` });
    }
    await answeredWith(last);
    while (harness.discord.sentMessages().length < expected) await new Promise((resolve) => setTimeout(resolve, 5));
    return { latencyMs, perSecond: burstMessages / ((performance.now() - started) / 1000), burst: burstMessages };
  } finally {
    await harness.close();
  }
}
