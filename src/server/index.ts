export * from './ai-provider-from-env.js';
export * from './local-agent.js';
export * from './server.js';
export { type LoadedSecret, loadSecret, secretPathFor } from './auth/secret.js';
export { type Identity, type IssueTokenOptions, mayAccess, TokenAuthority } from './auth/tokens.js';
export { main as runCli, USAGE } from './cli.js';
export {
  type AttachedWebRTC,
  type AttachWebRTCOptions,
  attachWebRTCVoice,
  CLIENT_ROOT,
  handleClientLibrary,
  serveClientLibrary,
  WEBRTC_PATH,
  WEBRTC_VOICE_CHANNEL_ID,
} from './webrtc-wiring.js';
export {
  type AttachedRealtime,
  attachRealtimeVoice,
  REALTIME_CHANNEL_ID,
  REALTIME_PATH,
  realtimeFromEnv,
  type ServerRealtime,
} from './realtime-wiring.js';
export type { TurnLatency, VoiceSessionView } from './voice-feed.js';
export type { ServeWebRTCOptions } from './webrtc-ice.js';
