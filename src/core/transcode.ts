import type { ChannelCapabilities } from '../channels/channel.js';
import { contentText, type EventContent, type RoomEvent } from '../models/index.js';

/**
 * Fit an event to what a target channel can render. Returns the event itself when nothing
 * changes (the common case allocates nothing), a copy with converted content otherwise, or
 * undefined when the channel cannot take it at all (system notices to channels that do not
 * declare 'system').
 */
export function transcodeFor(event: RoomEvent, caps: ChannelCapabilities): RoomEvent | undefined {
  const original = event.content;
  let content: EventContent = original;
  if (!caps.contentTypes.includes(original.type)) {
    if (original.type === 'system' || !caps.contentTypes.includes('text')) return undefined;
    content = { type: 'text', body: contentText(original) };
  }
  if (caps.maxLength !== undefined) content = truncate(content, caps.maxLength);
  if (content === original) return event;
  return { ...event, content, metadata: { ...event.metadata, transcodedFrom: original.type } };
}

function truncate(content: EventContent, max: number): EventContent {
  if ((content.type === 'text' || content.type === 'rich') && content.body.length > max) {
    return { ...content, body: ellipsize(content.body, max) };
  }
  return content;
}

/** Cut to `max` characters including the ellipsis, preferring a word boundary. */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return text.slice(0, max);
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}
