/**
 * Inbound attachments become `media` content pointing at our media store: the vendor's copy
 * may need credentials (Twilio with HTTP auth on media, WhatsApp always) or expire, ours does
 * not. When the download fails the vendor URL is kept, so nothing the user sent disappears.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MediaContent } from '../../models/index.js';
import type { MediaStore } from './media-store.js';
import type { InboundMedia } from './types.js';

export type MediaFetcher = (
  url: string,
  signal?: AbortSignal,
) => Promise<{ data: Buffer; contentType: string }>;

export async function importMedia(
  store: MediaStore,
  media: InboundMedia,
  fetchMedia: MediaFetcher | undefined,
  logger?: Logger,
): Promise<MediaContent> {
  const source = media.url ?? media.mediaId;
  let url = media.url ?? `media-id:${media.mediaId ?? 'unknown'}`;
  let mimeType = media.contentType;
  if (fetchMedia && source) {
    try {
      const { data, contentType } = await fetchMedia(source);
      mimeType = media.contentType || contentType;
      url = (await store.put(data, { mimeType, filename: media.filename })).url;
    } catch (error) {
      logger?.warn({ err: errorMessage(error) }, 'inbound media not downloaded; keeping the vendor URL');
    }
  }
  const content: MediaContent = { type: 'media', url, mimeType };
  if (media.caption) content.caption = media.caption;
  if (media.filename) content.filename = media.filename;
  return content;
}
