/**
 * Twilio Media Streams, bidirectional (`<Connect><Stream>`): JSON text messages. Twilio sends
 * `connected`, `start` (streamSid, callSid, customParameters, mediaFormat), `media` (base64
 * mu-law 8 kHz), `dtmf`, `mark` (an echo of ours once played) and `stop`; we send `media`,
 * `mark` and `clear`, each naming the streamSid. See docs/protocols/twilio-media-streams.md.
 */
import { z } from 'zod';
import {
  parseJsonMessage,
  type StreamContext,
  type StreamEvent,
  type StreamProtocol,
  StreamProtocolError,
  validMessage,
} from '../shared/media-stream/stream-protocol.js';
import { fromBase64, parseContentType, toBase64 } from '../shared/media-stream/wire-audio.js';

const start = z.object({
  event: z.literal('start'),
  streamSid: z.string().optional(),
  start: z.object({
    streamSid: z.string().optional(),
    callSid: z.string().optional(),
    accountSid: z.string().optional(),
    customParameters: z.record(z.string(), z.string()).optional(),
    mediaFormat: z
      .object({ encoding: z.string(), sampleRate: z.number(), channels: z.number().optional() })
      .optional(),
  }),
});
const media = z.object({ event: z.literal('media'), media: z.object({ payload: z.string() }) });
const dtmf = z.object({ event: z.literal('dtmf'), dtmf: z.object({ digit: z.string().min(1) }) });
const mark = z.object({ event: z.literal('mark'), mark: z.object({ name: z.string() }) });

export const twilioStreamProtocol: StreamProtocol = {
  parse(data, isBinary): StreamEvent {
    if (isBinary) throw new StreamProtocolError('twilio', 'binary frame on a JSON stream');
    const msg = parseJsonMessage(data, 'twilio');
    switch (msg.event) {
      case 'connected':
        return { type: 'connected' };
      case 'start': {
        const m = validMessage(start, msg, 'twilio');
        const format = m.start.mediaFormat;
        return {
          type: 'start',
          streamId: m.streamSid ?? m.start.streamSid,
          callId: m.start.callSid,
          customParameters: m.start.customParameters ?? {},
          format: format ? parseContentType(format.encoding, { sampleRate: format.sampleRate }) : undefined,
        };
      }
      case 'media':
        return { type: 'media', payload: fromBase64(validMessage(media, msg, 'twilio').media.payload) };
      case 'dtmf':
        return { type: 'dtmf', digit: validMessage(dtmf, msg, 'twilio').dtmf.digit };
      case 'mark':
        return { type: 'mark', name: validMessage(mark, msg, 'twilio').mark.name };
      case 'stop':
        return { type: 'stop', reason: 'hangup' };
      default:
        return { type: 'ignored', event: String(msg.event) };
    }
  },
  media: (ctx: StreamContext, wire) =>
    JSON.stringify({ event: 'media', streamSid: ctx.streamId, media: { payload: toBase64(wire) } }),
  mark: (ctx, name) => JSON.stringify({ event: 'mark', streamSid: ctx.streamId, mark: { name } }),
  clear: (ctx) => JSON.stringify({ event: 'clear', streamSid: ctx.streamId }),
};
