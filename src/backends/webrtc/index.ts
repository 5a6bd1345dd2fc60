export { interceptRequests, type RequestHandler } from './http-mount.js';
export { isOpusRate, OPUS_RATES } from './opus-rtp-sender.js';
export type { OpusReceiveStats } from './opus-rtp-receiver.js';
export * from './signalling.js';
export * from './webrtc-backend-options.js';
export * from './webrtc-protocol.js';
export * from './webrtc-voice-backend.js';
export * from './webrtc-realtime-transport.js';
export * from './turn-credentials.js';
