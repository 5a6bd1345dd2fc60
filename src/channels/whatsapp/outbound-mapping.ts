/**
 * Our content as WhatsApp messages. Rich content with buttons becomes interactive reply
 * buttons (up to 3) or a list (up to 10 rows); beyond that, or without interactive support,
 * a numbered text fallback. Markdown is rewritten in WhatsApp's own formatting (*bold*,
 * _italic_, ~strike~, ```mono```).
 */
import { contentText, type EventContent } from '../../models/index.js';
import type { WhatsAppMediaType, WhatsAppOutbound } from './whatsapp-provider.js';

export interface MappingOptions {
  /** Language of templates sent without one (default 'en_US'). */
  templateLanguage: string;
  /** Label of the button that opens a list (default 'Choose'). */
  listButtonLabel: string;
}

export function toWhatsApp(content: EventContent, to: string, opts: MappingOptions): WhatsAppOutbound {
  switch (content.type) {
    case 'text':
      return { kind: 'text', to, body: content.body, previewUrl: /https?:\/\//.test(content.body) };
    case 'rich': {
      const body =
        content.plainText ??
        (content.format === 'markdown' ? markdownToWhatsApp(content.body) : contentText(content));
      const buttons = (content.buttons ?? []).map((b) => ({ id: b.id, title: b.label }));
      if (buttons.length >= 1 && buttons.length <= 3) return { kind: 'buttons', to, body, buttons };
      if (buttons.length > 3 && buttons.length <= 10)
        return { kind: 'list', to, body, buttonLabel: opts.listButtonLabel, rows: buttons };
      const options = buttons.map((b, i) => `${i + 1}. ${b.title}`).join('\n');
      return { kind: 'text', to, body: options ? `${body}\n\n${options}` : body };
    }
    case 'media':
      return {
        kind: 'media',
        to,
        mediaType: mediaTypeOf(content.mimeType),
        link: content.url,
        caption: content.caption,
        filename: content.filename,
      };
    case 'template':
      return {
        kind: 'template',
        to,
        name: content.templateId,
        language: opts.templateLanguage,
        parameters: content.parameters,
      };
    case 'location':
      return {
        kind: 'location',
        to,
        latitude: content.latitude,
        longitude: content.longitude,
        name: content.label,
      };
    default:
      return { kind: 'text', to, body: contentText(content) };
  }
}

export function mediaTypeOf(mimeType: string): WhatsAppMediaType {
  if (mimeType === 'image/webp') return 'sticker';
  if (mimeType.startsWith('image/')) return 'image';
  if (mimeType.startsWith('video/')) return 'video';
  if (mimeType.startsWith('audio/')) return 'audio';
  return 'document';
}

// CommonMark emphasis to WhatsApp's: double-star bold to single star, single-star italic to
// underscores, ~~strike~~ to ~strike~, `code` to triple backticks; headings become bold lines.
export function markdownToWhatsApp(markdown: string): string {
  return markdown
    .replace(/\*\*(.+?)\*\*/g, '\uE000$1\uE000')
    .replace(/(^|[^*])\*([^*\n]+)\*(?!\*)/g, '$1_$2_')
    .replace(/\uE000/g, '*')
    .replace(/~~(.+?)~~/g, '~$1~')
    .replace(/(^|[^`])`([^`\n]+)`(?!`)/g, '$1```$2```')
    .replace(/^#{1,6}\s+(.*)$/gm, '*$1*')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)');
}
