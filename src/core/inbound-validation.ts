import { z } from 'zod';
import { parseContent, zodValidationError } from '../models/content-schema.js';
import type { InboundMessage, RoomEvent, Visibility } from '../models/index.js';
import { jsonCopy } from '../store/storable.js';
import { ValidationError } from './errors.js';

/**
 * Validation at the edge of the pipeline. What a transport hands to `processInbound` (or an app
 * to `sendEvent`), what a hook's `modify` produces and what an intelligence channel replies are
 * all checked here, before anything is routed or stored: a bad value is a ValidationError
 * naming the field, never a half-written timeline or a crash in a delivery lane.
 */

const visibilitySchema = z.union([z.string(), z.array(z.string())]);

const envelope = z.object({
  channelId: z.string().min(1),
  senderId: z.string().optional(),
  roomId: z.string().min(1).optional(),
  idempotencyKey: z.string().max(1024).optional(),
  visibility: visibilitySchema.optional(),
  address: z.string().optional(),
});

/** A validated copy of an inbound message: parsed content (no system notices), storable metadata. */
export function validateInbound(message: InboundMessage): InboundMessage {
  if (typeof message !== 'object' || message === null) {
    throw new ValidationError('message: expected an object', undefined, 'message');
  }
  const head = envelope.safeParse(message);
  if (!head.success) throw zodValidationError(head.error, '');
  const out: InboundMessage = { ...head.data, content: parseContent(message.content) } as InboundMessage;
  if (message.metadata !== undefined) out.metadata = metadataCopy(message.metadata, 'metadata');
  return out;
}

/** Content an intelligence channel replied with, or a hook injected (system notices allowed). */
export function validateProducedContent(content: unknown, field: string): RoomEvent['content'] {
  return parseContent(content, { allowSystem: true, field });
}

/**
 * The check a BEFORE_BROADCAST `modify` goes through: a hook may rewrite content, metadata and
 * visibility, and what it returns must be as valid as what a user may post (system notices
 * aside, which hooks may write).
 */
export function validateModifiedEvent(event: RoomEvent): RoomEvent {
  if (typeof event !== 'object' || event === null) {
    throw new ValidationError('event: a modified event must be an object', undefined, 'event');
  }
  const visibility = visibilitySchema.safeParse(event.visibility);
  if (!visibility.success) throw zodValidationError(visibility.error, 'visibility');
  return {
    ...event,
    content: parseContent(event.content, { allowSystem: true }),
    metadata: metadataCopy(event.metadata ?? {}, 'metadata'),
    visibility: visibility.data as Visibility,
  };
}

function metadataCopy(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${field}: expected an object`, undefined, field);
  }
  return jsonCopy(value, field) as Record<string, unknown>;
}
