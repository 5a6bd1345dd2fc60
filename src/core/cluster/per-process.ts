import type { Channel } from '../../channels/channel.js';

/**
 * Whether every process of a cluster delivers to this channel, each to its own endpoints: a
 * multiplexed channel (WebSocketChannel: each process has its own clients) or a voice channel
 * (each process speaks to the calls it holds). Other channels reach something outside (a model,
 * a carrier, a webhook) and must act once per event, so only the room's owner delivers to them.
 * Voice channels are known by shape, as `kit.connectVoice` knows them.
 */
export function isPerProcess(channel: Channel, extra: ReadonlySet<string>): boolean {
  if (extra.has(channel.id)) return true;
  if (channel.category === 'intelligence') return false;
  if (channel.capabilities.multiplexed) return true;
  return typeof (channel as { startSession?: unknown }).startSession === 'function';
}
