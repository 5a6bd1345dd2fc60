import type { RoomKit } from '../core/roomkit.js';
import {
  type VoiceAuthenticate,
  WebSocketVoiceBackend,
  type WebSocketVoiceBackendOptions,
} from '../voice/backends/websocket-voice-backend.js';
import type { AudioPipelineConfig } from '../voice/pipeline/audio-pipeline.js';
import { SimpleAGCProvider } from '../voice/pipeline/simple-agc.js';
import { WebRTCVADProvider } from '../voice/pipeline/webrtc-vad.js';
import { VoiceChannel } from '../voice/voice-channel.js';
import type { ServerVoice } from './voice-from-env.js';

export const VOICE_CHANNEL_ID = 'voice';

/** The talk button's audio pipeline: gain control for laptop microphones, WebRTC's VAD for turns. */
export function servePipeline(): AudioPipelineConfig {
  return {
    agc: new SimpleAGCProvider({ targetLevelDbfs: -18 }),
    vad: new WebRTCVADProvider({ mode: 2 }),
  };
}

/**
 * The console's talk button: browsers stream microphone PCM to /voice (WebSocket voice
 * backend), a VoiceChannel turns it into room messages and speaks the agent's replies.
 * The server routes upgrades to `backend.handleUpgrade`; a session may only start in a room
 * that exists (else the client gets a `room_not_found` error frame, not silence).
 */
export function attachVoice(
  kit: RoomKit,
  voice: ServerVoice,
  authenticate: VoiceAuthenticate,
  extra: Partial<WebSocketVoiceBackendOptions> = {},
): { channel: VoiceChannel; backend: WebSocketVoiceBackend } {
  const backend = new WebSocketVoiceBackend({
    path: '/voice',
    channelId: VOICE_CHANNEL_ID,
    logger: kit.logger,
    authenticate,
    authorizeSession: async ({ roomId }) =>
      (await kit.getRoom(roomId)) ? true : { code: 'room_not_found', message: `no room ${roomId}` },
    ...extra,
  });
  const channel = new VoiceChannel(VOICE_CHANNEL_ID, {
    stt: voice.stt,
    tts: voice.tts,
    backend,
    pipeline: voice.pipeline ?? servePipeline(),
  });
  kit.registerChannel(channel);
  return { channel, backend };
}
