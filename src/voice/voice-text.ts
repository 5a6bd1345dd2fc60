import type { RoomEvent } from '../models/index.js';

/**
 * What a voice participant says of a room event: the text of a text or rich message
 * (trimmed), nothing for media, system notices and the like. Shared by the voice and
 * realtime channels, so both speak the same events.
 */
export function spokenText(event: RoomEvent): string | undefined {
  const c = event.content;
  if (c.type === 'text') return c.body.trim() || undefined;
  if (c.type === 'rich') return (c.plainText ?? c.body).trim() || undefined;
  return undefined;
}
