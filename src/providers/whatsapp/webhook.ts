/**
 * WhatsApp Cloud API webhooks: `{ object: 'whatsapp_business_account', entry: [{ changes:
 * [{ field: 'messages', value: { metadata, contacts, messages, statuses } }] }] }`. Messages
 * become inbound messages (text, media by id, interactive and template-button replies,
 * locations); statuses (sent, delivered, read, failed with `errors[].code`) become status updates.
 */
import {
  decodeRef,
  type DeliveryState,
  type InboundProviderMessage,
  type ProviderWebhookEvent,
} from '../../channels/messaging/types.js';
import { isRecord } from '../shared/http-errors.js';
import { WebhookPayloadError } from '../shared/webhook-request.js';

const STATUS: Record<string, DeliveryState> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
};
const MEDIA = ['image', 'video', 'audio', 'document', 'sticker'] as const;

type Obj = Record<string, unknown>;
const objects = (value: unknown): Obj[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function parseWhatsAppWebhook(body: unknown): ProviderWebhookEvent[] {
  if (!isRecord(body) || body.object !== 'whatsapp_business_account') {
    throw new WebhookPayloadError('whatsapp', "object is not 'whatsapp_business_account'");
  }
  const events: ProviderWebhookEvent[] = [];
  for (const entry of objects(body.entry)) {
    for (const change of objects(entry.changes)) {
      const value = isRecord(change.value) ? change.value : undefined;
      if (change.field !== 'messages' || !value) continue;
      const ourNumber = isRecord(value.metadata) ? String(value.metadata.display_phone_number ?? '') : '';
      const names = new Map(
        objects(value.contacts).map((c) => [
          str(c.wa_id),
          isRecord(c.profile) ? str(c.profile.name) : undefined,
        ]),
      );
      for (const message of objects(value.messages)) {
        const parsed = parseMessage(message, ourNumber, names);
        if (parsed) events.push(parsed);
      }
      for (const status of objects(value.statuses)) {
        const state = STATUS[String(status.status)];
        const id = str(status.id);
        if (!state || !id) continue;
        const error = objects(status.errors)[0];
        events.push({
          kind: 'status',
          providerMessageId: id,
          status: state,
          ...(error?.code !== undefined ? { errorCode: String(error.code) } : {}),
          ...(error
            ? {
                errorMessage:
                  str(isRecord(error.error_data) ? error.error_data.details : undefined) ??
                  str(error.title) ??
                  '',
              }
            : {}),
          ref: decodeRef(str(status.biz_opaque_callback_data)),
          recipient: str(status.recipient_id),
          at: timestampIso(status.timestamp),
        });
      }
    }
  }
  return events;
}

function parseMessage(
  m: Obj,
  ourNumber: string,
  names: Map<string | undefined, string | undefined>,
): InboundProviderMessage | undefined {
  const id = str(m.id);
  const from = str(m.from);
  if (!id || !from) throw new WebhookPayloadError('whatsapp', 'message without id/from');
  const out: InboundProviderMessage = {
    kind: 'message',
    providerMessageId: id,
    from,
    to: ourNumber,
    media: [],
    details: { type: m.type, ...(isRecord(m.context) ? { replyTo: m.context.id } : {}) },
    profileName: names.get(from),
    receivedAt: timestampIso(m.timestamp),
  };
  const type = String(m.type);
  const body = isRecord(m[type]) ? (m[type] as Obj) : {};
  if (type === 'text') out.text = str(body.body);
  else if ((MEDIA as readonly string[]).includes(type)) {
    out.media.push({
      mediaId: str(body.id),
      contentType: str(body.mime_type) ?? 'application/octet-stream',
      ...(str(body.caption) ? { caption: str(body.caption) } : {}),
      ...(str(body.filename) ? { filename: str(body.filename) } : {}),
    });
  } else if (type === 'interactive') {
    const reply = isRecord(body.button_reply)
      ? body.button_reply
      : isRecord(body.list_reply)
        ? body.list_reply
        : undefined;
    if (!reply) return undefined;
    out.reply = { id: String(reply.id), title: String(reply.title) };
    out.text = out.reply.title;
  } else if (type === 'button') {
    out.reply = { id: String(body.payload ?? body.text), title: String(body.text ?? body.payload) };
    out.text = out.reply.title;
  } else if (type === 'location') {
    const latitude = Number(body.latitude);
    const longitude = Number(body.longitude);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return undefined;
    out.location = { latitude, longitude, ...(str(body.name) ? { label: str(body.name) } : {}) };
  } else {
    // Reactions, contacts, unsupported types: nothing a room event can hold faithfully.
    return undefined;
  }
  return out;
}

function timestampIso(value: unknown): string | undefined {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
}
