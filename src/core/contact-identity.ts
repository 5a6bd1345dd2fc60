/**
 * One person, many addresses: a caller's phone number, the number they text from, their
 * email. The ContactIdentityResolver maps each normalised address (E.164 numbers, lower-case
 * emails) to a participant, so the identity gate names the same participant on every
 * channel, and the router can put a text from a caller's number into the room of their call.
 */
import type { InboundMessage } from '../models/index.js';
import type { IdentityContext, IdentityResolver, IdentityResult } from './identity.js';
import type { RoomKit } from './roomkit.js';

export interface PhoneNormalizeOptions {
  /** Country calling code for national numbers, e.g. '1' or '33' (no plus). */
  defaultCountryCode?: string;
}

/**
 * A phone number in E.164 (`+15551234567`), or undefined when `input` is not one (short
 * codes, alphanumeric sender ids). Accepts punctuation, `tel:`, `sms:` and `whatsapp:`
 * prefixes, `00` international prefixes, and bare international digits (Vonage msisdn,
 * WhatsApp wa_id) of 11 digits or more.
 */
export function normalizePhoneNumber(input: string, opts: PhoneNormalizeOptions = {}): string | undefined {
  let s = input.trim().replace(/^(tel|sms|whatsapp|mms):/i, '');
  if (!/^\+?[\d\s().\-/]+$/.test(s)) return undefined;
  const plus = s.startsWith('+');
  s = s.replace(/\D/g, '');
  let digits: string;
  if (plus) digits = s;
  else if (s.startsWith('00')) digits = s.slice(2);
  else if (opts.defaultCountryCode && s.startsWith('0')) digits = opts.defaultCountryCode + s.slice(1);
  else if (opts.defaultCountryCode && s.length <= 10) digits = opts.defaultCountryCode + s;
  else if (s.length >= 11) digits = s;
  else return undefined;
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : undefined;
}

/** `Ana <Ana@Example.com>` or `mailto:ana@example.com` -> `ana@example.com`; undefined if not an address. */
export function normalizeEmail(input: string): string | undefined {
  const angle = /<([^>]+)>/.exec(input);
  const s = (angle ? angle[1]! : input)
    .trim()
    .replace(/^mailto:/i, '')
    .toLowerCase();
  return /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/.test(s) ? s : undefined;
}

/** The canonical form of any contact address (phone or email), or undefined. */
export function normalizeAddress(input: string, opts: PhoneNormalizeOptions = {}): string | undefined {
  return input.includes('@') ? normalizeEmail(input) : normalizePhoneNumber(input, opts);
}

/** What a resolver must answer for the router to route by contact (duck-typed, so CRMs can plug in). */
export interface ContactRouting {
  participantFor(address: string): string | undefined | Promise<string | undefined>;
}

export interface ContactIdentityOptions extends PhoneNormalizeOptions {
  /** Asked for addresses that were never linked (a CRM lookup); may return undefined. */
  lookup?: (address: string) => Promise<string | undefined> | string | undefined;
  /**
   * Voice session metadata keys that carry the caller's address; `observe(kit)` links them to
   * the session's participant (default: from, caller, callerId, callerNumber, phoneNumber, phone, email).
   */
  sessionAddressKeys?: readonly string[];
}

export type ContactAddresses =
  | string
  | readonly string[]
  | { phone?: string | readonly string[]; email?: string | readonly string[] };

const DEFAULT_SESSION_KEYS = ['from', 'caller', 'callerId', 'callerNumber', 'phoneNumber', 'phone', 'email'];

export class ContactIdentityResolver implements ContactRouting {
  private readonly byAddress = new Map<string, string>();
  private readonly byParticipant = new Map<string, Set<string>>();
  private readonly names = new Map<string, string>();

  constructor(private readonly opts: ContactIdentityOptions = {}) {}

  /** Link addresses to a participant (later links of an address win). Unparseable addresses throw. */
  link(participantId: string, addresses: ContactAddresses, displayName?: string): this {
    for (const raw of flatten(addresses)) {
      const address = normalizeAddress(raw, this.opts);
      if (!address) throw new TypeError(`not a phone number or email address: ${raw}`);
      const previous = this.byAddress.get(address);
      if (previous !== undefined) this.byParticipant.get(previous)?.delete(address);
      this.byAddress.set(address, participantId);
      let set = this.byParticipant.get(participantId);
      if (!set) this.byParticipant.set(participantId, (set = new Set()));
      set.add(address);
    }
    if (displayName) this.names.set(participantId, displayName);
    return this;
  }

  unlink(address: string): void {
    const key = normalizeAddress(address, this.opts);
    if (!key) return;
    const participant = this.byAddress.get(key);
    this.byAddress.delete(key);
    if (participant !== undefined) this.byParticipant.get(participant)?.delete(key);
  }

  /** The participant an address belongs to (linked, else the lookup), or undefined. */
  async participantFor(address: string): Promise<string | undefined> {
    const key = normalizeAddress(address, this.opts);
    if (!key) return undefined;
    const linked = this.byAddress.get(key);
    if (linked !== undefined) return linked;
    const found = await this.opts.lookup?.(key);
    if (found !== undefined) this.link(found, key);
    return found;
  }

  /** A participant's addresses, optionally only phones or only emails. */
  addressesOf(participantId: string, kind?: 'phone' | 'email'): string[] {
    const all = [...(this.byParticipant.get(participantId) ?? [])];
    if (kind === 'email') return all.filter((a) => a.includes('@'));
    if (kind === 'phone') return all.filter((a) => !a.includes('@'));
    return all;
  }

  async resolve(message: InboundMessage, _ctx: IdentityContext): Promise<IdentityResult> {
    const address = message.address ?? message.senderId;
    const participantId =
      (address !== undefined ? await this.participantFor(address) : undefined) ??
      (message.senderId !== undefined && this.byParticipant.has(message.senderId)
        ? message.senderId
        : undefined);
    if (participantId === undefined) return { status: 'unknown' };
    return { status: 'identified', participantId, displayName: this.names.get(participantId) };
  }

  /**
   * Learn callers' addresses from voice sessions: when a session starts, each metadata value
   * under `sessionAddressKeys` that parses as a phone number or email is linked to the
   * session's participant. Returns the unsubscribe function.
   */
  observe(kit: RoomKit): () => void {
    const keys = this.opts.sessionAddressKeys ?? DEFAULT_SESSION_KEYS;
    return kit.hook(
      'on_session_started',
      (payload: unknown) => {
        const session = (
          payload as { session?: { participantId?: string; metadata?: Record<string, unknown> } }
        ).session;
        if (!session?.participantId) return;
        for (const key of keys) {
          const value = session.metadata?.[key];
          if (typeof value === 'string' && normalizeAddress(value, this.opts))
            this.link(session.participantId, value);
        }
      },
      { name: 'contact-identity', priority: -100 },
    );
  }
}

/** A resolver's contact routing, when it has one. */
export function contactRoutingOf(resolver: IdentityResolver | undefined): ContactRouting | undefined {
  const candidate = resolver as Partial<ContactRouting> | undefined;
  return candidate && typeof candidate.participantFor === 'function'
    ? (candidate as ContactRouting)
    : undefined;
}

/**
 * The open room an address's participant took part in most recently, on any channel. The
 * sender's address names the participant (linked, else the address itself as participant id),
 * so a text from a caller's number finds the room of their call.
 */
export async function routeByContact(
  kit: RoomKit,
  routing: ContactRouting,
  message: InboundMessage,
): Promise<{ roomId: string; participantId: string } | undefined> {
  const address = message.address ?? message.senderId;
  if (address === undefined) return undefined;
  const participantId = (await routing.participantFor(address)) ?? normalizeAddress(address);
  if (participantId === undefined) return undefined;
  const ids = new Set<string>();
  for (const channel of kit.listChannels()) {
    for (const id of await kit.store.findRoomIds({ channelId: channel.id, participantId })) ids.add(id);
  }
  let best: { roomId: string; at: string } | undefined;
  for (const roomId of ids) {
    const room = await kit.store.getRoom(roomId);
    if (!room) continue;
    const at = room.lastActivityAt ?? room.updatedAt;
    if (!best || at > best.at) best = { roomId, at };
  }
  return best && { roomId: best.roomId, participantId };
}

function flatten(addresses: ContactAddresses): string[] {
  if (typeof addresses === 'string') return [addresses];
  if (Array.isArray(addresses)) return [...addresses];
  const { phone, email } = addresses as {
    phone?: string | readonly string[];
    email?: string | readonly string[];
  };
  return [phone ?? [], email ?? []].flat();
}
