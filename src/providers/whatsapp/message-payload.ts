/**
 * Our WhatsApp message kinds as Cloud API request bodies (`messaging_product: 'whatsapp'`,
 * `recipient_type: 'individual'`, one object per type), with Meta's limits applied: 3 reply
 * buttons of 20 characters, 10 list rows of 24, a 1,024-character interactive body.
 */
import type { WhatsAppOutbound } from '../../channels/whatsapp/whatsapp-provider.js';
import { ellipsize } from '../../core/transcode.js';

export function cloudApiPayload(message: WhatsAppOutbound): Record<string, unknown> {
  const base = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.to.replace(/^\+/, ''),
    ...(message.reference && message.reference.length <= 512
      ? { biz_opaque_callback_data: message.reference }
      : {}),
  };
  switch (message.kind) {
    case 'text':
      return {
        ...base,
        type: 'text',
        text: { body: ellipsize(message.body, 4096), preview_url: message.previewUrl ?? false },
      };
    case 'media': {
      const media: Record<string, unknown> = message.mediaId
        ? { id: message.mediaId }
        : { link: message.link };
      // Audio and stickers take no caption; documents keep their file name.
      if (message.caption && message.mediaType !== 'audio' && message.mediaType !== 'sticker')
        media.caption = ellipsize(message.caption, 1024);
      if (message.mediaType === 'document' && message.filename) media.filename = message.filename;
      return { ...base, type: message.mediaType, [message.mediaType]: media };
    }
    case 'buttons':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: ellipsize(message.body, 1024) },
          action: {
            buttons: message.buttons.slice(0, 3).map((b) => ({
              type: 'reply',
              reply: { id: b.id.slice(0, 256), title: ellipsize(b.title, 20) },
            })),
          },
        },
      };
    case 'list':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: ellipsize(message.body, 1024) },
          action: {
            button: ellipsize(message.buttonLabel, 20),
            sections: [
              {
                title: 'Options',
                rows: message.rows.slice(0, 10).map((r) => ({
                  id: r.id.slice(0, 200),
                  title: ellipsize(r.title, 24),
                  ...(r.description ? { description: ellipsize(r.description, 72) } : {}),
                })),
              },
            ],
          },
        },
      };
    case 'template':
      return {
        ...base,
        type: 'template',
        template: templatePayload(message.name, message.language, message.parameters),
      };
    case 'location':
      return {
        ...base,
        type: 'location',
        location: {
          latitude: message.latitude,
          longitude: message.longitude,
          ...(message.name ? { name: message.name } : {}),
        },
      };
  }
}

/** Numbered parameters ('1', '2'...) fill the body positionally; named ones by `parameter_name`. */
function templatePayload(name: string, language: string, parameters: Record<string, string> = {}) {
  const entries = Object.entries(parameters);
  const positional = entries.every(([k]) => /^\d+$/.test(k));
  const ordered = positional ? entries.sort(([a], [b]) => Number(a) - Number(b)) : entries;
  return {
    name,
    language: { code: language },
    ...(entries.length
      ? {
          components: [
            {
              type: 'body',
              parameters: ordered.map(([key, text]) =>
                positional ? { type: 'text', text } : { type: 'text', parameter_name: key, text },
              ),
            },
          ],
        }
      : {}),
  };
}
