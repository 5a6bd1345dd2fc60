/**
 * What messaging providers (SMS carriers, WhatsApp) hand the channels, normalised: inbound
 * messages and delivery status updates parsed from verified webhooks, and the result of a send.
 */
import type { WebhookResponse } from '../../providers/shared/webhook-request.js';

/** A delivery state as the carriers report it, mapped to one vocabulary. */
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';

export const FINAL_DELIVERY_STATES: ReadonlySet<DeliveryState> = new Set([
  'delivered',
  'read',
  'failed',
  'undelivered',
]);

/** Our reference for an outbound message, echoed by the carrier (callback URL, client_ref...). */
export interface DeliveryRef {
  roomId: string;
  eventId: string;
}

export interface InboundMedia {
  /** Where the vendor serves it (may need the provider's credentials: `fetchMedia`). */
  url?: string;
  /** Vendor media id (WhatsApp) when there is no URL. */
  mediaId?: string;
  contentType: string;
  filename?: string;
  caption?: string;
  size?: number;
}

export interface InboundProviderMessage {
  kind: 'message';
  providerMessageId: string;
  /** The sender as the vendor spells it (E.164 with or without '+', a wa_id...). */
  from: string;
  /** Our number / business account that received it. */
  to: string;
  text?: string;
  media: InboundMedia[];
  /** Replies to buttons and lists (WhatsApp interactive), template quick replies. */
  reply?: { id: string; title: string };
  location?: { latitude: number; longitude: number; label?: string };
  /** Display name the vendor knows (WhatsApp profile name). */
  profileName?: string;
  /** Vendor-specific fields worth keeping (segments, carrier, country...). */
  details: Record<string, unknown>;
  receivedAt?: string;
}

export interface ProviderStatusUpdate {
  kind: 'status';
  providerMessageId: string;
  status: DeliveryState;
  /** The vendor's error code as a string (Twilio 30003, Telnyx 40300, WhatsApp 131047...). */
  errorCode?: string;
  errorMessage?: string;
  /** Our reference when the vendor echoed it back. */
  ref?: DeliveryRef;
  recipient?: string;
  at?: string;
}

export type ProviderWebhookEvent = InboundProviderMessage | ProviderStatusUpdate;

/** A verified, parsed webhook request. */
export interface ParsedWebhook {
  events: ProviderWebhookEvent[];
  /** Identifies this request for replay protection (a signature, a nonce...). */
  replayKey: string;
  /** True when the vendor signed a timestamp (replays are refused by age as well). */
  timestamped: boolean;
  /** What to answer the vendor once handled (TwiML `<Response/>`, 200...). */
  ack: WebhookResponse;
}

export interface SentMessage {
  providerMessageId: string;
  status: DeliveryState;
  /** Billed segments, when the vendor says. */
  segments?: number;
}

/** Encode a delivery ref for a vendor field or a callback URL query. */
export function encodeRef(ref: DeliveryRef): string {
  return `${encodeURIComponent(ref.roomId)}~${encodeURIComponent(ref.eventId)}`;
}

export function decodeRef(value: string | undefined | null): DeliveryRef | undefined {
  if (!value) return undefined;
  const sep = value.indexOf('~');
  if (sep <= 0) return undefined;
  try {
    return {
      roomId: decodeURIComponent(value.slice(0, sep)),
      eventId: decodeURIComponent(value.slice(sep + 1)),
    };
  } catch {
    return undefined;
  }
}
