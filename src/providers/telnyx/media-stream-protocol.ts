/**
 * Telnyx media streaming over WebSockets, bidirectional in RTP mode: JSON text messages.
 * Telnyx sends `connected`, `start` (stream_id, call_control_id, media_format), `media` (base64
 * RTP payloads: PCMU 8 kHz, or L16 in network byte order), `dtmf`, `mark` echoes, `error` and
 * `stop`; we send `media`, `mark` and `clear`. See docs/protocols/telnyx-media-streaming.md.
 */
import { z } from 'zod';
import {
  parseJsonMessage,
  type StreamEvent,
  type StreamProtocol,
  StreamProtocolError,
  validMessage,
} from '../shared/media-stream/stream-protocol.js';
import { fromBase64, parseContentType, toBase64 } from '../shared/media-stream/wire-audio.js';

const start = z.object({
  event: z.literal('start'),
  stream_id: z.string().optional(),
  start: z.object({
    call_control_id: z.string().optional(),
    client_state: z.string().nullish(),
    custom_parameters: z.record(z.string(), z.string()).optional(),
    media_format: z
      .object({
        encoding: z.string(),
        sample_rate: z.coerce.number(),
        channels: z.coerce.number().optional(),
      })
      .optional(),
  }),
});
const media = z.object({ event: z.literal('media'), media: z.object({ payload: z.string() }) });
const dtmf = z.object({ event: z.literal('dtmf'), dtmf: z.object({ digit: z.string().min(1) }) });
const mark = z.object({ event: z.literal('mark'), mark: z.object({ name: z.string() }) });
const error = z.object({
  event: z.literal('error'),
  payload: z.object({ detail: z.string().optional(), title: z.string().optional() }).optional(),
});

export const telnyxStreamProtocol: StreamProtocol = {
  parse(data, isBinary): StreamEvent {
    if (isBinary) throw new StreamProtocolError('telnyx', 'binary frame on a JSON stream');
    const msg = parseJsonMessage(data, 'telnyx');
    switch (msg.event) {
      case 'connected':
        return { type: 'connected' };
      case 'start': {
        const m = validMessage(start, msg, 'telnyx');
        const format = m.start.media_format;
        return {
          type: 'start',
          streamId: m.stream_id,
          callId: m.start.call_control_id,
          customParameters: m.start.custom_parameters ?? {},
          format: format
            ? parseContentType(`audio/${format.encoding}`, {
                sampleRate: format.sample_rate,
                bigEndianL16: true,
              })
            : undefined,
        };
      }
      case 'media':
        return { type: 'media', payload: fromBase64(validMessage(media, msg, 'telnyx').media.payload) };
      case 'dtmf':
        return { type: 'dtmf', digit: validMessage(dtmf, msg, 'telnyx').dtmf.digit };
      case 'mark':
        return { type: 'mark', name: validMessage(mark, msg, 'telnyx').mark.name };
      case 'error': {
        const p = validMessage(error, msg, 'telnyx').payload;
        return { type: 'error', message: p?.detail ?? p?.title ?? 'stream error' };
      }
      case 'stop':
        return { type: 'stop', reason: 'hangup' };
      default:
        return { type: 'ignored', event: String(msg.event) };
    }
  },
  media: (_ctx, wire) => JSON.stringify({ event: 'media', media: { payload: toBase64(wire) } }),
  mark: (_ctx, name) => JSON.stringify({ event: 'mark', mark: { name } }),
  clear: () => JSON.stringify({ event: 'clear' }),
};
