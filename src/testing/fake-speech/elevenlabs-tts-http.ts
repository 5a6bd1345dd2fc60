/**
 * ElevenLabs' HTTP text-to-speech (`POST /v1/text-to-speech/{voice_id}` and `.../stream`), as
 * the fake serves it: `xi-api-key` auth, a JSON body with `text` (and `model_id`,
 * `voice_settings`...), `output_format` in the query, and the audio bytes streamed back in
 * chunks. The fake renders PCM and G.711 only; it cannot encode MP3 or Opus and says so.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { alawEncode, mulawEncode } from '../../voice/audio/g711.js';

export const HTTP_PATH = /^\/v1\/text-to-speech\/([^/]+?)(\/stream)?$/;

/** One HTTP synthesis request, as the fake received it. */
export interface ElevenLabsHttpRequest {
  voiceId: string;
  stream: boolean;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface HttpSynthesisOptions {
  isValidKey(key: string | undefined): boolean;
  /** Audio per word, ms. */
  msPerWord: number;
  /** Pause between streamed chunks, ms. */
  chunkIntervalMs: number;
  /** The value every PCM sample of this request carries (tests check routing with it). */
  nextOrdinal(): number;
  record(request: ElevenLabsHttpRequest): void;
}

export async function serveHttpSynthesis(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  opts: HttpSynthesisOptions,
): Promise<void> {
  const match = HTTP_PATH.exec(url.pathname) as RegExpExecArray;
  const raw = await readBody(req);
  let body: unknown;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    body = raw;
  }
  opts.record({
    voiceId: decodeURIComponent(match[1]),
    stream: match[2] !== undefined,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body,
  });
  const json = (status: number, detail: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ detail }));
  };
  if (req.method !== 'POST') return json(405, 'Method Not Allowed');
  if (!opts.isValidKey(req.headers['xi-api-key'] as string | undefined))
    return json(401, { status: 'invalid_api_key', message: 'Invalid API key' });
  const text = isRecord(body) ? body.text : undefined;
  if (typeof text !== 'string' || text.trim() === '')
    return json(422, [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }]);
  const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
  const encoding = ENCODINGS[format.split('_')[0]];
  const rate = Number(format.split('_')[1]);
  if (!encoding || !Number.isFinite(rate)) {
    return json(400, {
      status: 'unsupported_output_format',
      message: `the fake renders pcm_*, ulaw_8000 and alaw_8000, not ${format}`,
    });
  }
  const ordinal = opts.nextOrdinal();
  res.writeHead(200, { 'content-type': encoding.contentType, 'request-id': `req_${ordinal}` });
  for (const [i] of text.split(/\s+/).filter(Boolean).entries()) {
    if (i > 0 && opts.chunkIntervalMs > 0) await sleep(opts.chunkIntervalMs);
    if (res.destroyed) return;
    const pcm = new Int16Array(Math.round((rate * opts.msPerWord) / 1000)).fill(ordinal);
    res.write(encoding.encode(pcm));
  }
  res.end();
}

const ENCODINGS: Record<string, { contentType: string; encode(pcm: Int16Array): Uint8Array }> = {
  pcm: {
    contentType: 'audio/pcm',
    encode: (pcm) => new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength),
  },
  ulaw: { contentType: 'audio/basic', encode: mulawEncode },
  alaw: { contentType: 'audio/alaw', encode: alawEncode },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
