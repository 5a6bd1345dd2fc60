import { canSee } from '../../core/visibility.js';
import { Access, type ChannelBinding } from '../../models/index.js';
import type { ConversationStore } from '../../store/conversation-store.js';

export interface HistoryLimits {
  /** Most events in one page. */
  maxEvents: number;
  /** Most bytes of serialized events in one page. */
  maxBytes: number;
}

/** One page of a room's timeline, newest last, as serialized events ready to send. */
export interface HistoryPage {
  /** JSON of each event, ascending index. */
  events: string[];
  /** Older events exist: ask again with `beforeIndex: nextBeforeIndex`. */
  hasMore: boolean;
  nextBeforeIndex?: number;
  /** Indexes of events that alone exceed the byte budget (not sent; read them over HTTP). */
  omitted: number[];
}

const BATCH = 20;

/**
 * Reads history backward in small batches until the page is full by count or bytes, so a
 * request for 500 large events costs one bounded page, never the whole room in memory.
 * Only what the client would have seen live is included: events visible to the channel's
 * binding, and blocked events only to the participant who sent them.
 */
export async function readHistoryPage(
  store: ConversationStore,
  roomId: string,
  binding: ChannelBinding,
  viewer: string,
  request: { beforeIndex?: number; limit: number },
  limits: HistoryLimits,
): Promise<HistoryPage> {
  const page: HistoryPage = { events: [], hasMore: false, omitted: [] };
  if (binding.access === Access.WRITE_ONLY || binding.access === Access.NONE) return page;
  const wanted = Math.min(request.limit, limits.maxEvents);
  let bytes = 0;
  let before = request.beforeIndex;
  const newestFirst: string[] = [];
  while (newestFirst.length < wanted) {
    const batch = await store.listEvents(roomId, {
      beforeIndex: before,
      limit: BATCH,
      direction: 'backward',
    });
    if (batch.length === 0) return finish(page, newestFirst, undefined);
    for (let i = batch.length - 1; i >= 0; i--) {
      const event = batch[i]!;
      if (!canSee(event, binding) || (event.status === 'blocked' && event.source.participantId !== viewer)) {
        before = event.index;
        continue;
      }
      const json = JSON.stringify(event);
      const size = Buffer.byteLength(json);
      if (size > limits.maxBytes) {
        page.omitted.push(event.index);
        before = event.index;
        continue;
      }
      if (bytes + size > limits.maxBytes || newestFirst.length >= wanted)
        return finish(page, newestFirst, before);
      bytes += size;
      newestFirst.push(json);
      before = event.index;
    }
    if (batch.length < BATCH || batch[0]!.index === 0) return finish(page, newestFirst, undefined);
  }
  return finish(page, newestFirst, before);
}

function finish(page: HistoryPage, newestFirst: string[], nextBeforeIndex: number | undefined): HistoryPage {
  page.events = newestFirst.reverse();
  page.omitted.reverse();
  if (nextBeforeIndex !== undefined && nextBeforeIndex > 0) {
    page.hasMore = true;
    page.nextBeforeIndex = nextBeforeIndex;
  }
  return page;
}

/** A `joined` or `history` frame built from already-serialized events (no second stringify). */
export function historyFrame(
  type: 'joined' | 'history',
  fields: Record<string, unknown>,
  page: HistoryPage,
): string {
  const head = JSON.stringify({
    type,
    ...fields,
    hasMore: page.hasMore,
    nextBeforeIndex: page.nextBeforeIndex,
    omitted: page.omitted.length ? page.omitted : undefined,
  });
  return `${head.slice(0, -1)},"events":[${page.events.join(',')}]}`;
}
