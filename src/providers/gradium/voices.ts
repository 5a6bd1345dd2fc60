import { z } from 'zod';
import { AuthenticationError, NotFoundError, ProviderError, ValidationError } from '../../core/errors.js';
import { GRADIUM } from './gradium-errors.js';

const voiceSchema = z.object({
  uid: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  filename: z.string().nullish(),
  start_s: z.number().nullish(),
  is_catalog: z.boolean(),
  is_pro_clone: z.boolean(),
  language: z.string().nullish(),
  tags: z.array(z.unknown()).default([]),
});
const createdSchema = z.object({
  uid: z.string(),
  error: z.string().nullish(),
  was_updated: z.boolean().optional(),
});

export interface GradiumVoice {
  uid: string;
  name: string;
  description?: string;
  language?: string;
  isCatalog: boolean;
  isProClone: boolean;
  tags: unknown[];
}

export interface CreateVoiceOptions {
  /** About 10 s of clean speech (wav, mp3, ...). */
  audio: Uint8Array | Blob;
  name: string;
  /** File name sent with the audio; its extension tells the server the format (default 'sample.wav'). */
  filename?: string;
  description?: string;
  language?: string;
  /** Where in the file the voice sample starts, seconds. */
  startS?: number;
  /** How long the server may take to extract the voice, seconds (default 10). */
  timeoutS?: number;
}

/** Gradium voice management (instant cloning) over REST: `/voices/`. */
export class GradiumVoiceClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** Clones a voice from a short sample; returns its uid (use it as `voiceId`). */
  async create(opts: CreateVoiceOptions): Promise<string> {
    const form = new FormData();
    const blob = opts.audio instanceof Blob ? opts.audio : new Blob([new Uint8Array(opts.audio)]);
    form.set('audio_file', blob, opts.filename ?? 'sample.wav');
    form.set('name', opts.name);
    if (opts.description) form.set('description', opts.description);
    if (opts.language) form.set('language', opts.language);
    if (opts.startS !== undefined) form.set('start_s', String(opts.startS));
    if (opts.timeoutS !== undefined) form.set('timeout_s', String(opts.timeoutS));
    const created = createdSchema.parse(await this.request('POST', '/voices/', form));
    if (created.error)
      throw new ProviderError(GRADIUM, `voice cloning failed: ${created.error}`, { retryable: false });
    return created.uid;
  }

  /** Your voices; `includeCatalog` adds the library voices. */
  async list(
    opts: { includeCatalog?: boolean; skip?: number; limit?: number } = {},
  ): Promise<GradiumVoice[]> {
    const q = new URLSearchParams({
      include_catalog: String(opts.includeCatalog ?? false),
      skip: String(opts.skip ?? 0),
      limit: String(opts.limit ?? 100),
    });
    return z
      .array(voiceSchema)
      .parse(await this.request('GET', `/voices/?${q}`))
      .map(toVoice);
  }

  async get(uid: string): Promise<GradiumVoice> {
    return toVoice(voiceSchema.parse(await this.request('GET', `/voices/${encodeURIComponent(uid)}`)));
  }

  async update(
    uid: string,
    changes: { name?: string; description?: string; language?: string },
  ): Promise<GradiumVoice> {
    const body = JSON.stringify(changes);
    return toVoice(voiceSchema.parse(await this.request('PUT', `/voices/${encodeURIComponent(uid)}`, body)));
  }

  async delete(uid: string): Promise<void> {
    await this.request('DELETE', `/voices/${encodeURIComponent(uid)}`);
  }

  private async request(method: string, path: string, body?: FormData | string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          'x-api-key': this.apiKey,
          'x-api-source': 'roomkit',
          ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
        },
        body,
      });
    } catch (err) {
      throw new ProviderError(GRADIUM, `voices request failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403)
      throw new AuthenticationError(GRADIUM, `authentication failed: ${text}`, res.status);
    if (res.status === 404) throw new NotFoundError('voice', path.split('/').pop() ?? '');
    if (res.status === 422) throw new ValidationError(`gradium: invalid voice request: ${text}`);
    if (!res.ok)
      throw new ProviderError(GRADIUM, `voices ${method} failed (${res.status}): ${text}`, {
        status: res.status,
      });
    return text ? JSON.parse(text) : undefined;
  }
}

function toVoice(v: z.infer<typeof voiceSchema>): GradiumVoice {
  return {
    uid: v.uid,
    name: v.name,
    description: v.description ?? undefined,
    language: v.language ?? undefined,
    isCatalog: v.is_catalog,
    isProClone: v.is_pro_clone,
    tags: v.tags,
  };
}
