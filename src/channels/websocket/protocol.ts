import { z } from 'zod';
import { makeContentSchema } from '../../models/content-schema.js';

/**
 * The JSON protocol of WebSocketChannel clients. Everything from a client is validated here.
 *
 * Client -> server
 *   {type:'join', roomId, history?}            history: newest events wanted (one page at most)
 *   {type:'leave', roomId}
 *   {type:'message', roomId, content, idempotencyKey?, clientId?}
 *   {type:'typing', roomId, typing}
 *   {type:'history', roomId, beforeIndex?, limit?}
 *   {type:'ping'}
 * Server -> client
 *   {type:'ready', userId, connectionId}
 *   {type:'joined', roomId, room, events, hasMore, nextBeforeIndex?, omitted?}
 *   {type:'history', roomId, events, hasMore, nextBeforeIndex?, omitted?}
 *       events ascending; a page holds at most maxHistoryEvents and maxHistoryBytes; ask for
 *       older ones with beforeIndex: nextBeforeIndex; `omitted` lists events too large to send
 *   {type:'left', roomId}   {type:'pong'}
 *   {type:'ack', clientId?, blocked, reason?, duplicate?, event}
 *   {type:'event', event}   {type:'stream', roomId, streamId, text, done, sourceChannelId}
 *   {type:'ephemeral', event}   typing, presence, read receipts, and `notice` (failures)
 *   {type:'error', code, message, roomId?, clientId?}
 */

/**
 * What a client may post: the canonical content schema (src/models/content-schema.ts) limited
 * to what a chat client sends, with non-empty bodies and text up to 32,000 characters.
 */
export const ClientContent = makeContentSchema({
  types: ['text', 'rich', 'media', 'location'],
  maxTextLength: 32_000,
  nonEmptyBody: true,
});

const roomId = z.string().min(1).max(200);

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join'), roomId, history: z.number().int().min(0).max(500).optional() }),
  z.object({ type: z.literal('leave'), roomId }),
  z.object({
    type: z.literal('message'),
    roomId,
    content: ClientContent,
    idempotencyKey: z.string().max(200).optional(),
    /** Echoed in the ack so the client can match it. */
    clientId: z.string().max(200).optional(),
  }),
  z.object({ type: z.literal('typing'), roomId, typing: z.boolean() }),
  z.object({
    type: z.literal('history'),
    roomId,
    beforeIndex: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const CLIENT_MESSAGE_TYPES: ReadonlySet<string> = new Set(
  ClientMessage.options.map((o) => o.shape.type.value),
);

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_message'
  | 'unknown_type'
  | 'too_large'
  | 'forbidden'
  | 'not_joined'
  | 'room_not_found'
  | 'room_closed'
  | 'rate_limited'
  /** The store (database) is unreachable for now: nothing was stored, send again later. */
  | 'unavailable'
  | 'internal';

export function errorFrame(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'error', code, message, ...extra });
}
