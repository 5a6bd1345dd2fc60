/**
 * Plivo Audio Streaming, bidirectional: JSON text messages. Plivo sends `start` (callId,
 * streamId, mediaFormat, extra_headers), `media` (base64 mu-law 8 kHz or L16), `dtmf`,
 * `playedStream` (a checkpoint was played) and `clearedAudio`; we send `playAudio`,
 * `checkpoint` and `clearAudio`. See docs/protocols/plivo-audio-stream.md.
 */
import { z } from 'zod';
import {
  parseJsonMessage,
  type StreamEvent,
  type StreamProtocol,
  StreamProtocolError,
  validMessage,
} from '../shared/media-stream/stream-protocol.js';
import {
  fromBase64,
  parseContentType,
  toBase64,
  type WireFormat,
} from '../shared/media-stream/wire-audio.js';

const start = z.object({
  event: z.literal('start'),
  start: z.object({
    callId: z.string().optional(),
    streamId: z.string().optional(),
    mediaFormat: z.object({ encoding: z.string(), sampleRate: z.coerce.number() }).optional(),
  }),
  extra_headers: z.string().optional(),
});
const media = z.object({ event: z.literal('media'), media: z.object({ payload: z.string() }) });
const dtmf = z.object({ event: z.literal('dtmf'), dtmf: z.object({ digit: z.string().min(1) }) });
const played = z.object({ event: z.literal('playedStream'), name: z.string() });

/** `a=1,b=2` (the XML attribute's form) or `a=1;b=2` (as the start message shows it). */
function parseExtraHeaders(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (value ?? '').split(/[,;]/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function contentTypeOf(format: WireFormat): { contentType: string; sampleRate: number } {
  return {
    contentType: format.encoding === 'mulaw' ? 'audio/x-mulaw' : 'audio/x-l16',
    sampleRate: format.sampleRate,
  };
}

export const plivoStreamProtocol: StreamProtocol = {
  parse(data, isBinary): StreamEvent {
    if (isBinary) throw new StreamProtocolError('plivo', 'binary frame on a JSON stream');
    const msg = parseJsonMessage(data, 'plivo');
    switch (msg.event) {
      case 'start': {
        const m = validMessage(start, msg, 'plivo');
        const format = m.start.mediaFormat;
        return {
          type: 'start',
          streamId: m.start.streamId,
          callId: m.start.callId,
          customParameters: parseExtraHeaders(m.extra_headers),
          format: format ? parseContentType(format.encoding, { sampleRate: format.sampleRate }) : undefined,
        };
      }
      case 'media':
        return { type: 'media', payload: fromBase64(validMessage(media, msg, 'plivo').media.payload) };
      case 'dtmf':
        return { type: 'dtmf', digit: validMessage(dtmf, msg, 'plivo').dtmf.digit };
      case 'playedStream':
        return { type: 'mark', name: validMessage(played, msg, 'plivo').name };
      case 'clearedAudio':
        return { type: 'cleared' };
      case 'stop':
        return { type: 'stop', reason: 'hangup' };
      default:
        return { type: 'ignored', event: String(msg.event) };
    }
  },
  media: (ctx, wire) =>
    JSON.stringify({ event: 'playAudio', media: { ...contentTypeOf(ctx.format), payload: toBase64(wire) } }),
  mark: (ctx, name) => JSON.stringify({ event: 'checkpoint', streamId: ctx.streamId, name }),
  clear: (ctx) => JSON.stringify({ event: 'clearAudio', streamId: ctx.streamId }),
};
