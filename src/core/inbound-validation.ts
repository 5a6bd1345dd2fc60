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

/** A validated copy of an inbound message: parsed content (no system notices), storable metadata. */
export function validateInbound(message: InboundMessage): InboundMessage {
  if (typeof message !== 'object' || message === null) {
    throw new ValidationError('message: expected an object', undefined, 'message');
  }
  // Plain checks for the envelope (this runs on every message); zod for the content union.
  const out: InboundMessage = {
    channelId: text(message.channelId, 'channelId', true)!,
    content: parseContent(message.content),
  };
  if (message.senderId !== undefined) out.senderId = text(message.senderId, 'senderId');
  if (message.roomId !== undefined) out.roomId = text(message.roomId, 'roomId', true);
  if (message.idempotencyKey !== undefined) {
    out.idempotencyKey = text(message.idempotencyKey, 'idempotencyKey');
    if (out.idempotencyKey!.length > 1024)
      throw new ValidationError('idempotencyKey: longer than 1024 characters', undefined, 'idempotencyKey');
  }
  if (message.address !== undefined) out.address = text(message.address, 'address');
  if (message.visibility !== undefined) out.visibility = visibility(message.visibility);
  if (message.metadata !== undefined) out.metadata = metadataCopy(message.metadata, 'metadata');
  return out;
}

function text(value: unknown, field: string, nonEmpty = false): string | undefined {
  if (typeof value !== 'string' || (nonEmpty && value === '')) {
    throw new ValidationError(`${field}: expected a${nonEmpty ? ' non-empty' : ''} string`, undefined, field);
  }
  return value;
}

function visibility(value: unknown): Visibility {
  if (typeof value === 'string') return value;
  const parsed = visibilitySchema.safeParse(value);
  if (!parsed.success) throw zodValidationError(parsed.error, 'visibility');
  return [...(parsed.data as string[])];
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
  return {
    ...event,
    content: parseContent(event.content, { allowSystem: true }),
    metadata: metadataCopy(event.metadata ?? {}, 'metadata'),
    visibility: visibility(event.visibility),
  };
}

function metadataCopy(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${field}: expected an object`, undefined, field);
  }
  return jsonCopy(value, field) as Record<string, unknown>;
}
