export * from './audio-converter.js';
export * from './base-provider.js';
export * from './logger.js';
export * from './pcm.js';
export * from './provider.js';
export * from './session.js';
export * from './typed-emitter.js';
export {
  type MockRealtimeCall,
  MockRealtimeProvider,
  type MockSessionRef,
  type MockToolResult,
} from '../testing/mock-realtime-provider.js';
export * from './realtime-channel-types.js';
export * from './realtime-handoff.js';
export type { ToolCallPayload } from './realtime-hooks.js';
export * from './realtime-playback.js';
export { type ToolCallOutcome, RealtimeToolSet, runToolCall } from './realtime-tools.js';
export * from './realtime-voice-channel.js';
export * from './websocket-realtime-transport.js';
export { MockRealtimeTransport } from '../testing/mock-realtime-transport.js';
export {
  FastRTCRealtimeTransport,
  mountFastRTCRealtime,
  mountWebRTCRealtime,
  type MountWebRTCRealtimeOptions,
  WebRTCRealtimeTransport,
  type WebRTCRealtimeTransportOptions,
} from '../backends/webrtc/webrtc-realtime-transport.js';
export {
  SIPRealtimeTransport,
  type SIPRealtimeTransportOptions,
} from '../backends/sip/sip-realtime-transport.js';
