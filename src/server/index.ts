export * from './ai-provider-from-env.js';
export * from './local-agent.js';
export * from './server.js';
export { type LoadedSecret, loadSecret, secretPathFor } from './auth/secret.js';
export { type Identity, type IssueTokenOptions, mayAccess, TokenAuthority } from './auth/tokens.js';
export { main as runCli, USAGE } from './cli.js';
export {
  type AttachWebRTCOptions,
  attachWebRTCVoice,
  CLIENT_ROOT,
  serveClientLibrary,
  WEBRTC_PATH,
  WEBRTC_VOICE_CHANNEL_ID,
} from './webrtc-wiring.js';
