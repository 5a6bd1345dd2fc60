import type { AIMessage } from '../ai/types.js';
import { canSee } from '../core/visibility.js';
import { type ChannelBinding, contentText, EventStatus, type RoomEvent } from '../models/index.js';
import type { ConversationStore } from '../store/conversation-store.js';

/**
 * The conversation as the model should see it: the room's recent events that this
 * channel may read (visibility honoured, blocked and system events left out), its own
 * messages as the assistant's, everyone else's as the user's, labelled by speaker.
 */
export async function buildConversation(
  store: ConversationStore,
  roomId: string,
  binding: ChannelBinding,
  opts: { maxEvents: number; upToIndex: number },
): Promise<AIMessage[]> {
  const query = { beforeIndex: opts.upToIndex + 1, limit: opts.maxEvents, direction: 'backward' as const };
  // Read without copies where the store offers it: nothing here keeps or changes an event.
  const events = await (store.readEvents ? store.readEvents(roomId, query) : store.listEvents(roomId, query));
  const messages: AIMessage[] = [];
  for (const event of events) {
    if (!isConversational(event)) continue;
    if (event.source.channelId === binding.channelId) {
      messages.push({ role: 'assistant', content: contentText(event.content) });
    } else if (canSee(event, binding)) {
      const who = event.source.participantId;
      const content = contentText(event.content);
      // Two literals, not a spread into one: a spread runs in V8's runtime, and this runs for
      // every event of the context on every turn (30 by default).
      messages.push(who ? { role: 'user', content, name: who } : { role: 'user', content });
    }
  }
  // Providers want the conversation to open with the user.
  while (messages.length && messages[0]!.role !== 'user') messages.shift();
  return messages;
}

function isConversational(event: RoomEvent): boolean {
  return event.status !== EventStatus.BLOCKED && event.content.type !== 'system' && event.type !== 'audit';
}
