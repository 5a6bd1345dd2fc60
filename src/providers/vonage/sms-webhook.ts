/**
 * Vonage Messages API webhooks (JSON): inbound (`channel: 'sms' | 'mms'`, `message_uuid`,
 * `from`, `to`, `text` or `image`/`video`/`audio`/`file`) and message status (`message_uuid`,
 * `status`, `error: { type, title, detail }`, our `client_ref`).
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
  submitted: 'sent',
  delivered: 'delivered',
  read: 'read',
  rejected: 'failed',
  undeliverable: 'undelivered',
};

export function mapVonageStatus(status: string): DeliveryState | undefined {
  return STATUS[status];
}

const MEDIA_TYPES: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  file: 'application/octet-stream',
};

export function parseVonageMessagesWebhook(body: unknown): ProviderWebhookEvent[] {
  if (!isRecord(body) || typeof body.message_uuid !== 'string')
    throw new WebhookPayloadError('vonage', 'no message_uuid');
  const id = body.message_uuid;
  if (typeof body.status === 'string') {
    const status = mapVonageStatus(body.status);
    if (!status) return [];
    const error = isRecord(body.error) ? body.error : undefined;
    return [
      {
        kind: 'status',
        providerMessageId: id,
        status,
        ...(error?.title !== undefined ? { errorCode: String(error.title) } : {}),
        ...(error?.detail !== undefined ? { errorMessage: String(error.detail) } : {}),
        ref: decodeRef(typeof body.client_ref === 'string' ? body.client_ref : undefined),
        recipient: typeof body.to === 'string' ? body.to : undefined,
      },
    ];
  }
  if (typeof body.from !== 'string') throw new WebhookPayloadError('vonage', 'inbound message without from');
  const media: InboundMedia[] = [];
  for (const kind of Object.keys(MEDIA_TYPES)) {
    const item = body[kind];
    if (isRecord(item) && typeof item.url === 'string') {
      media.push({
        url: item.url,
        contentType: MEDIA_TYPES[kind]!,
        ...(typeof item.name === 'string' ? { filename: item.name } : {}),
        ...(typeof item.caption === 'string' ? { caption: item.caption } : {}),
      });
    }
  }
  const sms = isRecord(body.sms) ? body.sms : {};
  return [
    {
      kind: 'message',
      providerMessageId: id,
      from: body.from,
      to: String(body.to ?? ''),
      text: typeof body.text === 'string' && body.text ? body.text : undefined,
      media,
      details: { channel: body.channel, numMessages: sms.num_messages, keyword: sms.keyword },
      receivedAt: typeof body.timestamp === 'string' ? body.timestamp : undefined,
    },
  ];
}
