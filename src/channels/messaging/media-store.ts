/**
 * Where attachment bytes go. Events carry a URL, never bytes: inbound MMS, WhatsApp media and
 * email attachments are downloaded once into a MediaStore, and the event's `media` content
 * points at the store's URL. Memory (bounded, the default) and disk ship here; anything with
 * put/get (S3, a CDN) can replace them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MediaInfo {
  mimeType: string;
  filename?: string;
}

export interface StoredMedia extends MediaInfo {
  id: string;
  /** What events carry: `<publicBaseUrl>/media/<id>` when a public base is set, else `roomkit-media:<id>`. */
  url: string;
  size: number;
}

export interface MediaStore {
  put(data: Buffer, info: MediaInfo): Promise<StoredMedia>;
  get(id: string): Promise<(MediaInfo & { data: Buffer }) | undefined>;
}

export interface MediaStoreOptions {
  /**
   * Public origin (and path prefix) the media endpoint is served under, e.g.
   * `https://bot.example.com`; carriers fetch outbound MMS from `<publicBaseUrl>/media/<id>`.
   */
  publicBaseUrl?: string;
}

/** Media ids are random UUIDs: unguessable, so a media URL is a capability to read one file. */
const ID_RE = /^[0-9a-f-]{36}$/;

export function mediaUrl(id: string, publicBaseUrl?: string): string {
  return publicBaseUrl ? `${publicBaseUrl.replace(/\/+$/, '')}/media/${id}` : `roomkit-media:${id}`;
}

/** The id inside a URL this store produced, or undefined. */
export function mediaIdOf(url: string): string | undefined {
  const m = /(?:^roomkit-media:|\/media\/)([0-9a-f-]{36})$/.exec(url);
  return m?.[1];
}

/** In process memory, bounded by total bytes: the least recently stored files go first. */
export class MemoryMediaStore implements MediaStore {
  private readonly items = new Map<string, MediaInfo & { data: Buffer }>();
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(private readonly opts: MediaStoreOptions & { maxBytes?: number } = {}) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  async put(data: Buffer, info: MediaInfo): Promise<StoredMedia> {
    const id = randomUUID();
    this.items.set(id, { ...info, data });
    this.bytes += data.length;
    for (const [oldId, item] of this.items) {
      if (this.bytes <= this.maxBytes || oldId === id) break;
      this.items.delete(oldId);
      this.bytes -= item.data.length;
    }
    return { id, url: mediaUrl(id, this.opts.publicBaseUrl), size: data.length, ...info };
  }

  async get(id: string) {
    return this.items.get(id);
  }
}

/** One file per item plus a JSON sidecar with its type; survives restarts. */
export class DiskMediaStore implements MediaStore {
  private ready?: Promise<unknown>;

  constructor(private readonly opts: MediaStoreOptions & { dir: string }) {}

  async put(data: Buffer, info: MediaInfo): Promise<StoredMedia> {
    this.ready ??= mkdir(this.opts.dir, { recursive: true });
    await this.ready;
    const id = randomUUID();
    const path = join(this.opts.dir, id);
    // Write then rename: a reader never sees half a file.
    await writeFile(`${path}.tmp`, data);
    await writeFile(`${path}.json`, JSON.stringify(info));
    await rename(`${path}.tmp`, path);
    return { id, url: mediaUrl(id, this.opts.publicBaseUrl), size: data.length, ...info };
  }

  async get(id: string) {
    if (!ID_RE.test(id)) return undefined;
    const path = join(this.opts.dir, id);
    try {
      const [data, meta] = await Promise.all([readFile(path), readFile(`${path}.json`, 'utf8')]);
      return { ...(JSON.parse(meta) as MediaInfo), data };
    } catch {
      return undefined;
    }
  }
}
