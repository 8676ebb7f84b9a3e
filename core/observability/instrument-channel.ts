import type { OutgoingVoiceNote, ReplyChannel, SendTextOptions, SentMessage } from '../platform/platform.js';
import { quietly, type AssistantMetrics } from './metrics.js';

/**
 * Counts the parts a platform accepted, by kind, including those sent through the private
 * fallback. A part counts once its send resolved: a refused one was not delivered.
 */
export function instrumentReplyChannel(channel: ReplyChannel, platform: string, metrics: AssistantMetrics): ReplyChannel {
  const fallback = channel.privateFallback;
  const sendVoice = channel.sendVoice;
  const showTyping = channel.showTyping;
  return {
    get capabilities() {
      return channel.capabilities;
    },
    async sendText(text: string, options: SendTextOptions): Promise<SentMessage | undefined> {
      const sent = await channel.sendText(text, options);
      quietly(() => metrics.partDelivered(platform, options.kind));
      return sent;
    },
    ...(showTyping ? { showTyping: () => showTyping.call(channel) } : {}),
    ...(channel.drafts ? { drafts: channel.drafts } : {}),
    ...(sendVoice
      ? {
          async sendVoice(note: OutgoingVoiceNote): Promise<SentMessage | undefined> {
            const sent = await sendVoice.call(channel, note);
            quietly(() => metrics.partDelivered(platform, 'voice'));
            return sent;
          },
        }
      : {}),
    ...(fallback ? { privateFallback: () => instrumentReplyChannel(fallback.call(channel), platform, metrics) } : {}),
  };
}
