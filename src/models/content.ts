/** What an event carries. A tagged union on `type`, JSON-serialisable throughout. */

export interface TextContent {
  type: 'text';
  body: string;
  language?: string;
}

/** Formatted text. Channels without rich support receive `plainText` (or stripped markup). */
export interface RichContent {
  type: 'rich';
  body: string;
  format: 'markdown' | 'html';
  plainText?: string;
  buttons?: { id: string; label: string }[];
}

export interface MediaContent {
  type: 'media';
  url: string;
  mimeType: string;
  caption?: string;
  filename?: string;
}

export interface AudioContent {
  type: 'audio';
  url?: string;
  mimeType?: string;
  durationMs?: number;
  transcript?: string;
}

export interface LocationContent {
  type: 'location';
  latitude: number;
  longitude: number;
  label?: string;
}

export interface SystemContent {
  type: 'system';
  code: string;
  body?: string;
  data?: Record<string, unknown>;
}

export interface TemplateContent {
  type: 'template';
  templateId: string;
  parameters?: Record<string, string>;
  fallbackText?: string;
}

export type EventContent =
  | TextContent
  | RichContent
  | MediaContent
  | AudioContent
  | LocationContent
  | SystemContent
  | TemplateContent;

export type ContentType = EventContent['type'];

/** The readable text of any content, used for fallbacks, AI context and search. */
export function contentText(content: EventContent): string {
  switch (content.type) {
    case 'text':
      return content.body;
    case 'rich':
      return content.plainText ?? stripMarkup(content.body, content.format);
    case 'media':
      return content.caption ? `${content.caption} (${content.url})` : content.url;
    case 'audio':
      return content.transcript ?? content.url ?? '[audio]';
    case 'location':
      return content.label
        ? `${content.label} (${content.latitude}, ${content.longitude})`
        : `${content.latitude}, ${content.longitude}`;
    case 'system':
      return content.body ?? content.code;
    case 'template':
      return content.fallbackText ?? content.templateId;
  }
}

export function stripMarkup(body: string, format: 'markdown' | 'html'): string {
  if (format === 'html') {
    return body
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/p>/gi, '\n')
      .replace(/<[^>]+>/g, '')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .trim();
  }
  return body
    .replace(/```[a-z]*\n?/gi, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/(\*|_)(.*?)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/^>\s?/gm, '')
    .trim();
}
