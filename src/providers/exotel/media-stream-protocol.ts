/**
 * Exotel's Voicebot (bidirectional) stream: JSON text messages. Exotel sends `connected`,
 * `start` (stream_sid, call_sid, from, to, custom_parameters, media_format), `media` (base64
 * 16-bit little-endian PCM, 8 kHz by default), `dtmf`, `mark` echoes and `stop`; we send
 * `media` (100 ms chunks, multiples of 320 bytes, as Exotel asks), `mark` and `clear`.
 * See docs/protocols/exotel-voicebot.md.
 */
import { z } from 'zod';
import {
  parseJsonMessage,
  type StreamEvent,
  type StreamProtocol,
  StreamProtocolError,
  validMessage,
} from '../shared/media-stream/stream-protocol.js';
import { fromBase64, toBase64 } from '../shared/media-stream/wire-audio.js';

const start = z.object({
  event: z.literal('start'),
  stream_sid: z.string().optional(),
  start: z.object({
    stream_sid: z.string().optional(),
    call_sid: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    custom_parameters: z.record(z.string(), z.coerce.string()).nullish(),
    media_format: z.object({ sample_rate: z.coerce.number().optional() }).passthrough().optional(),
  }),
});
const media = z.object({ event: z.literal('media'), media: z.object({ payload: z.string() }) });
const dtmf = z.object({
  event: z.literal('dtmf'),
  dtmf: z.object({ digit: z.string().min(1), duration: z.coerce.number().optional() }),
});
const mark = z.object({ event: z.literal('mark'), mark: z.object({ name: z.string() }) });
const stop = z.object({
  event: z.literal('stop'),
  stop: z.object({ reason: z.string().optional() }).optional(),
});

export const exotelStreamProtocol: StreamProtocol = {
  parse(data, isBinary): StreamEvent {
    if (isBinary) throw new StreamProtocolError('exotel', 'binary frame on a JSON stream');
    const msg = parseJsonMessage(data, 'exotel');
    switch (msg.event) {
      case 'connected':
        return { type: 'connected' };
      case 'start': {
        const m = validMessage(start, msg, 'exotel');
        const rate = m.start.media_format?.sample_rate;
        return {
          type: 'start',
          streamId: m.stream_sid ?? m.start.stream_sid,
          callId: m.start.call_sid,
          from: m.start.from,
          to: m.start.to,
          customParameters: m.start.custom_parameters ?? {},
          format: { encoding: 'l16le', ...(rate ? { sampleRate: rate } : {}) },
        };
      }
      case 'media':
        return { type: 'media', payload: fromBase64(validMessage(media, msg, 'exotel').media.payload) };
      case 'dtmf': {
        const d = validMessage(dtmf, msg, 'exotel').dtmf;
        return { type: 'dtmf', digit: d.digit, durationMs: d.duration };
      }
      case 'mark':
        return { type: 'mark', name: validMessage(mark, msg, 'exotel').mark.name };
      case 'stop':
        return { type: 'stop', reason: validMessage(stop, msg, 'exotel').stop?.reason ?? 'hangup' };
      default:
        return { type: 'ignored', event: String(msg.event) };
    }
  },
  media: (ctx, wire) =>
    JSON.stringify({ event: 'media', stream_sid: ctx.streamId, media: { payload: toBase64(wire) } }),
  mark: (ctx, name) => JSON.stringify({ event: 'mark', stream_sid: ctx.streamId, mark: { name } }),
  clear: (ctx) => JSON.stringify({ event: 'clear', stream_sid: ctx.streamId }),
};
