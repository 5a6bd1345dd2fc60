import { AIChannel, ChannelCategory, RoomKit, type RoomKitOptions } from '../../../src/index.js';
import type { MessagingChannel } from '../../../src/channels/messaging/messaging-channel.js';
import { type ListeningWebhooks, listenWebhooks } from '../../../src/channels/messaging/webhook-endpoint.js';
import { MockAIProvider } from '../../../src/testing/index.js';
import { silentLogger } from '../../../src/core/logger.js';

export const silent = silentLogger;

export interface SmsRig<
  C extends MessagingChannel = import('../../../src/channels/sms/sms-channel.js').SMSChannel,
> {
  kit: RoomKit;
  sms: C;
  ai: MockAIProvider;
  hooks: ListeningWebhooks;
  webhookUrl: string;
  close(): Promise<void>;
}

/** A kit with a messaging channel (SMS, WhatsApp...), an AI that answers, and the channel's webhook on a real port. */
export async function smsRig<C extends MessagingChannel>(
  makeChannel: () => C,
  opts: { replies?: string[]; kit?: RoomKitOptions; ai?: MockAIProvider } = {},
): Promise<SmsRig<C>> {
  const kit = new RoomKit({ logger: silent, ...opts.kit });
  const sms = makeChannel();
  const ai = opts.ai ?? new MockAIProvider({ responses: opts.replies ?? ['Hello from the agent.'] });
  kit.registerChannel(sms);
  kit.registerChannel(new AIChannel('ai', { provider: ai }));
  await kit.createRoom({ roomId: 'support' });
  await kit.attachChannel('support', sms.id);
  await kit.attachChannel('support', 'ai', { category: ChannelCategory.INTELLIGENCE });
  const hooks = await listenWebhooks([sms], { mediaStore: sms.mediaStore });
  return {
    kit,
    sms,
    ai,
    hooks,
    webhookUrl: `${hooks.url}${sms.webhookPath}`,
    async close() {
      await kit.close();
      await hooks.close();
    },
  };
}

export function texts(events: { content: { type: string; body?: string } }[]): string[] {
  return events.filter((e) => e.content.type === 'text').map((e) => e.content.body ?? '');
}
