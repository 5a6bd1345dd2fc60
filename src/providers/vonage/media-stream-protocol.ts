/**
 * Vonage Voice API WebSockets: the first message is text JSON (`websocket:connected`, the
 * content type and the headers our NCCO gave the endpoint); audio travels as binary frames of
 * 16-bit little-endian PCM (640 bytes per 20 ms at 16 kHz); text events are `websocket:dtmf`,
 * `websocket:notify` (our `notify` action's payload, once what preceded it was played) and
 * `websocket:cleared`. We send binary audio, `{ action: 'notify' }` and `{ action: 'clear' }`.
 * A hang-up closes the socket. See docs/protocols/vonage-websockets.md.
 */
import {
  parseJsonMessage,
  type StreamEvent,
  type StreamProtocol,
  StreamProtocolError,
} from '../shared/media-stream/stream-protocol.js';
import { parseContentType } from '../shared/media-stream/wire-audio.js';

export const vonageStreamProtocol: StreamProtocol = {
  parse(data, isBinary): StreamEvent {
    if (isBinary) return { type: 'media', payload: data };
    const msg = parseJsonMessage(data, 'vonage');
    switch (msg.event) {
      case 'websocket:connected': {
        const contentType =
          typeof msg['content-type'] === 'string' ? msg['content-type'] : 'audio/l16;rate=16000';
        const customParameters: Record<string, string> = {};
        for (const [key, value] of Object.entries(msg)) {
          if (key !== 'event' && key !== 'content-type' && typeof value === 'string')
            customParameters[key] = value;
        }
        return {
          type: 'start',
          callId: customParameters.callUuid,
          customParameters,
          format: parseContentType(contentType, { sampleRate: 16000 }),
        };
      }
      case 'websocket:dtmf': {
        const digit = msg.digit;
        if (typeof digit !== 'string' || !digit)
          throw new StreamProtocolError('vonage', 'dtmf without a digit');
        return {
          type: 'dtmf',
          digit,
          durationMs: typeof msg.duration === 'number' ? msg.duration : undefined,
        };
      }
      case 'websocket:notify': {
        const payload = msg.payload as { name?: unknown } | undefined;
        if (typeof payload?.name !== 'string') return { type: 'ignored', event: 'websocket:notify' };
        return { type: 'mark', name: payload.name };
      }
      case 'websocket:cleared':
        return { type: 'cleared' };
      case 'websocket:error':
        return { type: 'error', message: String(msg.description ?? msg.error ?? 'websocket error') };
      default:
        return { type: 'ignored', event: String(msg.event) };
    }
  },
  media: (_ctx, wire) => Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength),
  mark: (_ctx, name) => JSON.stringify({ action: 'notify', payload: { name } }),
  clear: () => JSON.stringify({ action: 'clear' }),
};
