import { z } from 'zod';

/**
 * The wire protocol of WebSocketVoiceBackend clients. Everything a client sends is
 * validated here; bad input gets a typed error frame and never closes the socket.
 *
 * Client -> server
 *   {type:'start', sampleRate?, roomId?, sessionId?, framing?, metadata?}   once, first
 *   binary frame: PCM s16le mono at the declared rate                       after start
 *   {type:'audio', data: base64 PCM}                                        after start
 *   {type:'stop'}   end the session (the server closes with 1000)
 *   {type:'ping'}   answered with {type:'pong'}
 * Server -> client
 *   {type:'ready', sessionId, roomId, participantId, sampleRate, framing}
 *   binary PCM frames, or {type:'audio', data} for JSON-framed clients
 *   {type:'speaking', speaking}   true when a response's audio starts, false at its end
 *   {type:'clear_audio'}          drop everything buffered for playback (interrupt)
 *   {type:'transcription', text, role, final}
 *   {type:'error', code, message}
 *   {type:'pong'}
 */

/** Rates a client may declare: what browsers and phones produce without surprises. */
export const CLIENT_SAMPLE_RATES = [8000, 16000, 24000, 48000] as const;

export type VoiceFraming = 'binary' | 'json';

export const StartMessage = z.object({
  type: z.literal('start'),
  // Any number passes the schema so a wrong rate gets its own error code, not a generic one.
  sampleRate: z.number().optional(),
  roomId: z.string().min(1).max(200).optional(),
  /** Bind to a session the server created with connect() (VoiceChannel-initiated calls). */
  sessionId: z.string().min(1).max(200).optional(),
  framing: z.enum(['binary', 'json']).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type StartMessage = z.infer<typeof StartMessage>;

export const ClientVoiceMessage = z.discriminatedUnion('type', [
  StartMessage,
  z.object({ type: z.literal('audio'), data: z.string() }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientVoiceMessage = z.infer<typeof ClientVoiceMessage>;

export const CLIENT_VOICE_MESSAGE_TYPES: ReadonlySet<string> = new Set(
  ClientVoiceMessage.options.map((o) => o.shape.type.value),
);

export type VoiceErrorCode =
  | 'invalid_json'
  | 'invalid_message'
  | 'unknown_type'
  | 'too_large'
  | 'odd_length'
  | 'bad_base64'
  | 'not_started'
  | 'already_started'
  | 'unsupported_sample_rate'
  | 'unsupported_framing'
  | 'missing_room'
  | 'room_not_found'
  | 'forbidden'
  | 'session_not_found'
  | 'internal';

export function voiceErrorFrame(code: VoiceErrorCode, message: string): string {
  return JSON.stringify({ type: 'error', code, message });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (Buffer.from silently skips junk, which would turn garbage into noise). */
export function decodeBase64(data: string): Uint8Array | undefined {
  if (data.length % 4 !== 0 || !BASE64.test(data)) return undefined;
  return Buffer.from(data, 'base64');
}
