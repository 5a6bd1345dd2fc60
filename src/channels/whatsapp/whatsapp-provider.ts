/**
 * The contract a WhatsApp provider implements (the Business Cloud API in
 * `roomkit/providers/whatsapp`): send the message kinds WhatsApp has, mark messages read,
 * verify + parse webhooks, answer the subscription handshake, download media by id.
 */
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import type { WebhookRequest, WebhookResponse } from '../../providers/shared/webhook-request.js';
import type { ParsedWebhook, SentMessage } from '../messaging/types.js';

export type WhatsAppMediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

interface Base {
  /** The user's WhatsApp id (their number, digits only). */
  to: string;
  /** Echoed back in status webhooks (`biz_opaque_callback_data`). */
  reference?: string;
}

export type WhatsAppOutbound = Base &
  (
    | { kind: 'text'; body: string; previewUrl?: boolean }
    | {
        kind: 'media';
        mediaType: WhatsAppMediaType;
        /** A public URL Meta fetches, or an id from `uploadMedia`. */
        link?: string;
        mediaId?: string;
        caption?: string;
        filename?: string;
      }
    | { kind: 'buttons'; body: string; buttons: { id: string; title: string }[] }
    | {
        kind: 'list';
        body: string;
        buttonLabel: string;
        rows: { id: string; title: string; description?: string }[];
      }
    | { kind: 'template'; name: string; language: string; parameters?: Record<string, string> }
    | { kind: 'location'; latitude: number; longitude: number; name?: string }
  );

export interface WhatsAppProvider {
  readonly name: string;
  readonly rateLimit: RateLimit;
  send(message: WhatsAppOutbound, signal?: AbortSignal): Promise<SentMessage>;
  /** Blue ticks on an inbound message. */
  markRead(providerMessageId: string, signal?: AbortSignal): Promise<void>;
  /** Upload bytes Meta cannot fetch (our media store's files); returns the media id to send. */
  uploadMedia(data: Buffer, mimeType: string, filename?: string, signal?: AbortSignal): Promise<string>;
  fetchMedia(mediaId: string, signal?: AbortSignal): Promise<{ data: Buffer; contentType: string }>;
  /** Verify the signature (throws WebhookAuthError) and parse messages and statuses. */
  parseWebhook(req: WebhookRequest): Promise<ParsedWebhook>;
  /** The GET subscription handshake (`hub.verify_token`). */
  answerHandshake(req: WebhookRequest): WebhookResponse;
}
