/**
 * roomkit's browser library: rooms over the WebSocket channel, voice over WebRTC (with a
 * WebSocket fallback). ESM, no framework, no Node imports. `roomkit serve` serves it as
 * /client/roomkit-client.js; bundlers import it as 'roomkit/client'.
 */
export { Emitter } from './emitter.js';
export { dbfs } from './levels.js';
export { RoomClient, RoomClientError, type RoomClientOptions } from './room-client.js';
export { SignallingError } from './signalling.js';
export * from './types.js';
export { DEFAULT_AUDIO, VoiceCall, type VoiceCallOptions } from './voice-call.js';
export { ConnectError } from './webrtc-voice.js';
