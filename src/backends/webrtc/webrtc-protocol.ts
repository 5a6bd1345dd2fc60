import { z } from 'zod';
import { RoomKitError } from '../../core/errors.js';

/**
 * The wire protocol of WebRTCVoiceBackend clients: HTTP signalling (offer/answer, trickled
 * ICE candidates, hang-up) and the JSON messages on the `roomkit` data channel. Everything a
 * client sends is validated here; bad input gets a typed 4xx, never an exception.
 *
 * HTTP (under the mount path, default /rtc; token as `Authorization: Bearer` or `?token=`)
 *   GET    {path}        -> 200 {iceServers}                      what the browser should use
 *   POST   {path}        {sdp, roomId?, metadata?}
 *                        -> 201 {type:'answer', sdp, connectionId} + Location: {path}/{id}
 *   PATCH  {path}/{id}   {candidates: [RTCIceCandidateInit | null]}  -> 204 (null: end of candidates)
 *   DELETE {path}/{id}   -> 204                                    hang up
 *   errors -> {error: {code, message}} with 400/401/403/404/405/413/415/429/503
 *
 * Data channel `roomkit` (the client creates it before its offer)
 *   server -> client
 *     {type:'ready', sessionId, roomId, participantId, sampleRate}
 *     {type:'speaking', speaking, who}               a reply's audio starts / ends (who: 'assistant'),
 *                                                    or the provider heard the user start / stop (who: 'user')
 *     {type:'clear'}                                  barge-in: drop what is playing now
 *     {type:'transcription', text, role, final}
 *     {type:'error', code, message}   {type:'pong'}   {type:'bye', reason}
 *   client -> server
 *     {type:'ping'}   {type:'stop'}  (hang up)
 */

/** Label of the control data channel; other channels a client opens are ignored. */
export const CONTROL_CHANNEL_LABEL = 'roomkit';

const MAX_SDP = 64 * 1024;

export const OfferBody = z.object({
  type: z.literal('offer').optional(),
  sdp: z.string().min(1).max(MAX_SDP),
  roomId: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type OfferBody = z.infer<typeof OfferBody>;

export const IceCandidateInit = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
export type IceCandidateInit = z.infer<typeof IceCandidateInit>;

export const CandidatesBody = z.object({
  candidates: z.array(IceCandidateInit.nullable()).min(1).max(32),
});

export const ClientControlMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('stop') }),
]);
export type ClientControlMessage = z.infer<typeof ClientControlMessage>;
export const CLIENT_CONTROL_TYPES: ReadonlySet<string> = new Set(
  ClientControlMessage.options.map((o) => o.shape.type.value),
);

/** One STUN/TURN server, as RTCPeerConnection takes it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type SignallingErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_offer'
  | 'invalid_candidate'
  | 'unauthorized'
  | 'forbidden'
  | 'missing_room'
  | 'room_not_found'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'too_large'
  | 'too_many_candidates'
  | 'too_many_calls'
  | 'too_many_connections'
  | 'at_capacity'
  | 'overloaded'
  | 'internal';

const STATUS: Record<SignallingErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_offer: 400,
  invalid_candidate: 400,
  missing_room: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  room_not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  too_large: 413,
  too_many_candidates: 429,
  too_many_calls: 429,
  too_many_connections: 503,
  at_capacity: 503,
  overloaded: 503,
  internal: 500,
};

/** A signalling request was refused; `status` is the HTTP status it is answered with. */
export class WebRTCSignallingError extends RoomKitError {
  readonly status: number;
  constructor(
    readonly reason: SignallingErrorCode,
    message: string,
    cause?: unknown,
  ) {
    super(message, { code: `webrtc_${reason}`, retryable: reason === 'too_many_connections', cause });
    this.status = STATUS[reason];
  }
}
