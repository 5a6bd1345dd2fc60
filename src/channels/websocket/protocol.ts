import { z } from 'zod';

/** The JSON protocol of WebSocketChannel clients. Everything from a client is validated here. */

const textContent = z.object({ type: z.literal('text'), body: z.string().min(1).max(32_000) });
const richContent = z.object({
  type: z.literal('rich'),
  body: z.string().min(1).max(32_000),
  format: z.enum(['markdown', 'html']),
  plainText: z.string().optional(),
});
const mediaContent = z.object({
  type: z.literal('media'),
  url: z.url(),
  mimeType: z.string(),
  caption: z.string().optional(),
});
const locationContent = z.object({
  type: z.literal('location'),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  label: z.string().optional(),
});

const roomId = z.string().min(1).max(200);

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join'), roomId, history: z.number().int().min(0).max(500).optional() }),
  z.object({ type: z.literal('leave'), roomId }),
  z.object({
    type: z.literal('message'),
    roomId,
    content: z.discriminatedUnion('type', [textContent, richContent, mediaContent, locationContent]),
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
  | 'internal';

export function errorFrame(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'error', code, message, ...extra });
}
