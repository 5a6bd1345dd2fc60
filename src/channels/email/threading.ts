/**
 * Replies land in the room they answer. Every email we send gets a Message-ID that carries
 * its room, tagged with an HMAC so nobody can forge a References header into someone else's
 * room: `<rk.<event>.<room, base64url>.<tag>@<domain>>`. An inbound email whose In-Reply-To
 * or References holds one of ours (with a valid tag) goes to that room, whatever else the
 * router would have guessed.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../../providers/shared/webhook-signature.js';

export class EmailThreading {
  private readonly secret: string;

  /** Without a secret, one is generated: threads then survive only as long as the process. */
  constructor(
    secret: string | undefined,
    readonly domain: string,
  ) {
    this.secret = secret || randomBytes(32).toString('hex');
  }

  /** A Message-ID (with angle brackets) for an email we send from `roomId` for `eventId`. */
  messageId(roomId: string, eventId: string): string {
    const room = Buffer.from(roomId).toString('base64url');
    const event = eventId.replace(/[^\w-]/g, '').slice(-36) || randomBytes(8).toString('hex');
    return `<rk.${event}.${room}.${this.tag(event, room)}@${this.domain}>`;
  }

  /** The room a Message-ID of ours points at, or undefined (not ours, or tag invalid). */
  roomOf(messageId: string): string | undefined {
    const m = /^<?rk\.([\w-]+)\.([\w-]+)\.([0-9a-f]{24})@[^>]+>?$/.exec(messageId.trim());
    if (!m || !safeEqual(m[3]!, this.tag(m[1]!, m[2]!))) return undefined;
    return Buffer.from(m[2]!, 'base64url').toString('utf8');
  }

  /** The room an inbound email answers: In-Reply-To first, then References newest first. */
  roomOfReply(inReplyTo: string | undefined, references: readonly string[]): string | undefined {
    for (const id of [inReplyTo, ...[...references].reverse()]) {
      const room = id ? this.roomOf(id) : undefined;
      if (room) return room;
    }
    return undefined;
  }

  private tag(event: string, room: string): string {
    return createHmac('sha256', this.secret).update(`${event}.${room}`).digest('hex').slice(0, 24);
  }
}

/** Split a References/In-Reply-To header value into message ids. */
export function parseMessageIds(value: string | readonly string[] | undefined): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(' ') : (value as string);
  return (
    text.match(/<[^<>\s]+>/g) ??
    text
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => `<${id.replace(/^<|>$/g, '')}>`)
  );
}

/** `Re: ` once, however many the subject already has. */
export function replySubject(subject: string | undefined, fallback: string): string {
  const base = (subject ?? '').replace(/^(\s*(re|aw|sv|fwd?)\s*:\s*)+/i, '').trim();
  return base ? `Re: ${base}` : fallback;
}
