/**
 * Twilio's messaging webhooks, form-encoded: an inbound message (`MessageSid`, `From`, `To`,
 * `Body`, `NumMedia`, `MediaUrl{n}`/`MediaContentType{n}`, `NumSegments`, geography fields)
 * or a status callback (`MessageSid`, `MessageStatus`, `ErrorCode`).
 */
import { decodeRef, type DeliveryState, type ProviderWebhookEvent } from '../../channels/messaging/types.js';
import { type FormFields, field } from '../shared/form-body.js';
import { WebhookPayloadError } from '../shared/webhook-request.js';

const STATUS: Record<string, DeliveryState> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
  partially_delivered: 'undelivered',
};

export function mapTwilioStatus(status: string): DeliveryState | undefined {
  return STATUS[status.toLowerCase()];
}

const DETAIL_FIELDS = [
  'NumSegments',
  'FromCity',
  'FromState',
  'FromCountry',
  'FromZip',
  'MessagingServiceSid',
  'AccountSid',
];

/** Parse one Twilio messaging webhook; `ref` is the delivery reference from our callback URL. */
export function parseTwilioMessagingWebhook(fields: FormFields, ref?: string): ProviderWebhookEvent[] {
  const sid = field(fields, 'MessageSid') ?? field(fields, 'SmsSid') ?? field(fields, 'SmsMessageSid');
  if (!sid) throw new WebhookPayloadError('twilio', 'no MessageSid');
  const messageStatus = field(fields, 'MessageStatus');
  if (messageStatus && messageStatus !== 'received') {
    const status = mapTwilioStatus(messageStatus);
    if (!status) return [];
    const errorCode = field(fields, 'ErrorCode');
    return [
      {
        kind: 'status',
        providerMessageId: sid,
        status,
        ...(errorCode && errorCode !== '0' ? { errorCode } : {}),
        ...(field(fields, 'ErrorMessage') ? { errorMessage: field(fields, 'ErrorMessage') } : {}),
        ref: decodeRef(ref),
        recipient: field(fields, 'To'),
      },
    ];
  }
  const from = field(fields, 'From');
  const to = field(fields, 'To');
  if (!from || !to) throw new WebhookPayloadError('twilio', 'inbound message without From/To');
  const count = Math.min(Number(field(fields, 'NumMedia') ?? 0) || 0, 10);
  const media = [];
  for (let i = 0; i < count; i++) {
    const url = field(fields, `MediaUrl${i}`);
    if (url)
      media.push({ url, contentType: field(fields, `MediaContentType${i}`) ?? 'application/octet-stream' });
  }
  const details: Record<string, unknown> = {};
  for (const name of DETAIL_FIELDS) {
    const value = field(fields, name);
    if (value) details[name[0]!.toLowerCase() + name.slice(1)] = value;
  }
  return [
    {
      kind: 'message',
      providerMessageId: sid,
      from,
      to,
      text: field(fields, 'Body') || undefined,
      media,
      details,
    },
  ];
}
