import type { Server } from 'node:http';
import type { RoomKit } from '../core/roomkit.js';
import { WebSocketVoiceBackend } from '../voice/backends/websocket-voice-backend.js';
import { SimpleAGCProvider } from '../voice/pipeline/simple-agc.js';
import { WebRTCVADProvider } from '../voice/pipeline/webrtc-vad.js';
import { VoiceChannel } from '../voice/voice-channel.js';
import type { ServerVoice } from './voice-from-env.js';

export const VOICE_CHANNEL_ID = 'voice';

/**
 * The console's talk button: browsers stream microphone PCM to /voice (WebSocket voice
 * backend), a VoiceChannel turns it into room messages and speaks the agent's replies.
 */
export function attachVoice(kit: RoomKit, http: Server, voice: ServerVoice, token?: string): VoiceChannel {
  const backend = new WebSocketVoiceBackend({
    server: http,
    path: '/voice',
    channelId: VOICE_CHANNEL_ID,
    logger: kit.logger,
    authenticate: (req, given) => {
      if (token && given !== token) return null;
      const user = new URL(req.url ?? '/', 'http://localhost').searchParams.get('user') ?? '';
      return { userId: /^[\w.-]{1,40}$/.test(user) ? user : 'guest' };
    },
  });
  const channel = new VoiceChannel(VOICE_CHANNEL_ID, {
    stt: voice.stt,
    tts: voice.tts,
    backend,
    pipeline: {
      agc: new SimpleAGCProvider({ targetLevelDbfs: -18 }),
      vad: new WebRTCVADProvider({ mode: 2 }),
    },
  });
  kit.registerChannel(channel);
  return channel;
}
