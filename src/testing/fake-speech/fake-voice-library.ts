import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FakeVoice {
  uid: string;
  name: string;
  description: string | null;
  filename: string | null;
  start_s: number;
  is_catalog: boolean;
  is_pro_clone: boolean;
  language: string | null;
  tags: string[];
}

/** Gradium's `/api/voices/` REST resource (instant cloning), in memory. */
export class FakeVoiceLibrary {
  readonly voices = new Map<string, FakeVoice>();
  /** Bytes of the audio each cloned voice was created from. */
  readonly samples = new Map<string, number>();

  constructor() {
    for (const [uid, name, language] of [
      ['YTpq7expH9539ERJ', 'Emma', 'en'],
      ['axlOaUiFyOZhy4nv', 'Leo', 'fr'],
    ]) {
      this.voices.set(uid, {
        uid,
        name,
        description: null,
        filename: null,
        start_s: 0,
        is_catalog: true,
        is_pro_clone: false,
        language,
        tags: [],
      });
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const uid = url.pathname.replace(/^\/api\/voices\/?/, '').replace(/\/$/, '');
    const json = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!uid && req.method === 'GET') {
      const includeCatalog = parseBool(url.searchParams.get('include_catalog'));
      if (includeCatalog === undefined) {
        return json(422, {
          detail: [
            {
              loc: ['query', 'include_catalog'],
              msg: 'Input should be a valid boolean',
              type: 'bool_parsing',
            },
          ],
        });
      }
      const skip = Number(url.searchParams.get('skip') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const all = [...this.voices.values()].filter((v) => includeCatalog || !v.is_catalog);
      return json(200, all.slice(skip, limit === 0 ? undefined : skip + limit));
    }
    if (!uid && req.method === 'POST') return this.create(req, json);
    const voice = this.voices.get(uid);
    if (!voice) return json(404, { detail: 'Voice not found' });
    if (req.method === 'GET') return json(200, voice);
    if (req.method === 'DELETE') {
      this.voices.delete(uid);
      return json(204);
    }
    if (req.method === 'PUT') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      Object.assign(voice, pick(body, ['name', 'description', 'language', 'start_s', 'tags']));
      return json(200, voice);
    }
    return json(405, { detail: 'Method Not Allowed' });
  }

  private async create(req: IncomingMessage, json: (status: number, body?: unknown) => void): Promise<void> {
    const body = await readBody(req);
    let form: FormData;
    try {
      form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type'] ?? '') },
        body,
      }).formData();
    } catch {
      return json(422, {
        detail: [{ loc: ['body'], msg: 'expected multipart/form-data', type: 'value_error' }],
      });
    }
    const audio = form.get('audio_file');
    const name = form.get('name');
    const missing = [
      ...(audio instanceof Blob ? [] : ['audio_file']),
      ...(typeof name === 'string' && name ? [] : ['name']),
    ];
    if (missing.length > 0) {
      return json(422, {
        detail: missing.map((f) => ({ loc: ['body', f], msg: 'Field required', type: 'missing' })),
      });
    }
    const uid = randomUUID().replace(/-/g, '').slice(0, 16);
    const file = audio as File;
    this.voices.set(uid, {
      uid,
      name: name as string,
      description: (form.get('description') as string | null) ?? null,
      filename: file.name ?? null,
      start_s: Number(form.get('start_s') ?? 0),
      is_catalog: false,
      is_pro_clone: false,
      language: (form.get('language') as string | null) ?? null,
      tags: [],
    });
    this.samples.set(uid, file.size);
    json(201, { uid, error: null, was_updated: false });
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
}

/** A query boolean read the way the API's framework reads it: 1/true/yes/on and 0/false/no/off. */
function parseBool(value: string | null): boolean | undefined {
  if (value === null) return false;
  const v = value.toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off'].includes(v)) return false;
  return undefined;
}
