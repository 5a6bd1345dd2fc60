/**
 * Telnyx messaging webhooks (API v2, JSON): `{ data: { event_type, id, occurred_at, payload },
 * meta }`. `message.received` carries an inbound SMS/MMS; `message.sent` and
 * `message.finalized` carry the per-recipient status and the carrier's errors.
 */
import {
  decodeRef,
  type DeliveryState,
  type InboundMedia,
  type ProviderWebhookEvent,
} from '../../channels/messaging/types.js';
import { isRecord } from '../shared/http-errors.js';
import { WebhookPayloadError } from '../shared/webhook-request.js';

const STATUS: Record<string, DeliveryState> = {
  queued: 'queued',
  sending: 'sent',
  sent: 'sent',
  delivery_unconfirmed: 'sent',
  delivered: 'delivered',
  sending_failed: 'failed',
  delivery_failed: 'undelivered',
  expired: 'undelivered',
};

export function mapTelnyxStatus(status: string): DeliveryState | undefined {
  return STATUS[status];
}

/** Parse a Telnyx messaging webhook body; `ref` is our delivery reference from the webhook URL. */
export function parseTelnyxMessagingWebhook(body: unknown, ref?: string): ProviderWebhookEvent[] {
  const data = isRecord(body) && isRecord(body.data) ? body.data : undefined;
  const payload = data && isRecord(data.payload) ? data.payload : undefined;
  if (!data || !payload || typeof data.event_type !== 'string')
    throw new WebhookPayloadError('telnyx', 'no data.event_type/payload');
  const id = typeof payload.id === 'string' ? payload.id : undefined;
  if (!id) throw new WebhookPayloadError('telnyx', 'payload without id');
  const to = Array.isArray(payload.to) ? payload.to.filter(isRecord) : [];
  switch (data.event_type) {
    case 'message.received': {
      const from = isRecord(payload.from) ? String(payload.from.phone_number ?? '') : '';
      if (!from) throw new WebhookPayloadError('telnyx', 'message.received without from');
      const media: InboundMedia[] = (Array.isArray(payload.media) ? payload.media : [])
        .filter(isRecord)
        .map((m) => ({
          url: String(m.url),
          contentType: String(m.content_type ?? 'application/octet-stream'),
          ...(typeof m.size === 'number' ? { size: m.size } : {}),
        }));
      return [
        {
          kind: 'message',
          providerMessageId: id,
          from,
          to: String(to[0]?.phone_number ?? ''),
          text: typeof payload.text === 'string' && payload.text ? payload.text : undefined,
          media,
          details: {
            type: payload.type,
            parts: payload.parts,
            encoding: payload.encoding,
            carrier: isRecord(payload.from) ? payload.from.carrier : undefined,
          },
          receivedAt: typeof payload.received_at === 'string' ? payload.received_at : undefined,
        },
      ];
    }
    case 'message.sent':
    case 'message.finalized': {
      const errors = (Array.isArray(payload.errors) ? payload.errors : []).filter(isRecord);
      return to.flatMap((recipient) => {
        const status = mapTelnyxStatus(String(recipient.status));
        if (!status) return [];
        return [
          {
            kind: 'status' as const,
            providerMessageId: id,
            status,
            ...(errors[0]?.code !== undefined ? { errorCode: String(errors[0].code) } : {}),
            ...(errors[0] ? { errorMessage: String(errors[0].detail ?? errors[0].title ?? '') } : {}),
            ref: decodeRef(ref),
            recipient: String(recipient.phone_number ?? ''),
          },
        ];
      });
    }
    default:
      return [];
  }
}
