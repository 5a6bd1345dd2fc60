import type { ChannelBinding, RoomEvent } from '../models/index.js';

/** Whether a target binding may see an event, given the event's visibility and injected targets. */
export function canSee(event: RoomEvent, target: ChannelBinding): boolean {
  if (event.targetChannelIds) return event.targetChannelIds.includes(target.channelId);
  const v = event.visibility;
  if (v === 'all') return true;
  if (v === 'none') return false;
  if (v === 'transport' || v === 'intelligence') return target.category === v;
  if (Array.isArray(v)) return v.includes(target.channelId);
  if (typeof v === 'string') return v.split(',').some((id) => id.trim() === target.channelId);
  return false;
}
