import type { Server } from 'node:http';
import type { OpusSampleRate } from '../../voice/audio/opus.js';
import { type MountWebRTCOptions, mountWebRTC } from './signalling.js';
import type { WebRTCVoiceBackendOptions } from './webrtc-backend-options.js';
import { WebRTCVoiceBackend } from './webrtc-voice-backend.js';

export interface WebRTCRealtimeTransportOptions extends WebRTCVoiceBackendOptions {
  /** The seed's name for the transport rate: the PCM rate both ways (default 24000, the providers' output rate). */
  inputSampleRate?: OpusSampleRate;
}

/**
 * The transport of a RealtimeVoiceChannel over WebRTC (the seed's FastRTCRealtimeTransport,
 * with Opus on a real audio track instead of mu-law on a data channel). It is a
 * WebRTCVoiceBackend at 24 kHz by default: a browser that connects starts a realtime session
 * on its own (the channel adopts it), or, with an `onClientConnected` listener, when the app
 * calls `channel.startSession(room, user, { connection: client.id })`.
 */
export class WebRTCRealtimeTransport extends WebRTCVoiceBackend {
  override readonly name: string = 'webrtc-realtime';

  constructor(options: WebRTCRealtimeTransportOptions = {}) {
    super({ ...options, sampleRate: options.sampleRate ?? options.inputSampleRate ?? 24000 });
  }
}

export type MountWebRTCRealtimeOptions = MountWebRTCOptions;

/** Serve a realtime transport's signalling on `path` (default '/rtc-realtime'). */
export function mountWebRTCRealtime(
  server: Server,
  transport: WebRTCVoiceBackend,
  options: MountWebRTCRealtimeOptions,
): () => void {
  return mountWebRTC(server, transport, { ...options, path: options.path ?? '/rtc-realtime' });
}

/** The seed's names (FastRTC was its WebRTC transport). */
export const FastRTCRealtimeTransport = WebRTCRealtimeTransport;
export type FastRTCRealtimeTransport = WebRTCRealtimeTransport;
export const mountFastRTCRealtime = mountWebRTCRealtime;
