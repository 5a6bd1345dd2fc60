import type { IncomingCallInfo } from '../backends/sip/call-info.js';
import type { RegistrationOptions } from '../backends/sip/registration.js';
import { sharedMediaClock } from '../backends/rtp/media-clock.js';
import { SIPVoiceBackend } from '../backends/sip/sip-voice-backend.js';
import type { RoomKit } from '../core/roomkit.js';
import type { VoiceAdmission } from '../voice/admission.js';
import { WebRTCVADProvider } from '../voice/pipeline/webrtc-vad.js';
import { VoiceChannel } from '../voice/voice-channel.js';
import { phoneEchoCanceller } from './phone-echo-canceller.js';
import type { ServerVoice } from './voice-from-env.js';

export const SIP_VOICE_CHANNEL_ID = 'voice-sip';

export interface SipServeOptions {
  /** SIP port, UDP and TCP (0 picks a free one). */
  port: number;
  /** Address to bind (default: the server's host). */
  host?: string;
  /** Room for calls whose dialled user names no existing room (default 'lobby'). */
  defaultRoom?: string;
  /** Register to a PBX or carrier so calls to its number reach this server. */
  registrar?: RegistrationOptions;
}

export interface AttachedSip {
  channel: VoiceChannel;
  backend: SIPVoiceBackend;
  ports: { udp?: number; tcp?: number };
  close(): Promise<void>;
}

/**
 * `roomkit serve --sip PORT`: phones call the server directly. A call to `sip:<room>@host`
 * lands in that room if it exists, any other call in the default room (created if needed,
 * through `createRoom` so the web and agent channels are attached as for any room). The
 * caller is a VoiceChannel participant known by their number, with the same speech engines
 * as the console's talk button, so transcripts and the agent's replies show in the console.
 */
export async function attachSipVoice(
  kit: RoomKit,
  voice: ServerVoice,
  opts: SipServeOptions & { createRoom(roomId: string): Promise<unknown>; admission?: VoiceAdmission },
): Promise<AttachedSip> {
  const defaultRoom = opts.defaultRoom ?? 'lobby';
  const roomFor = async (call: IncomingCallInfo): Promise<string> => {
    if (call.callee && (await kit.getRoom(call.callee))) return call.callee;
    if (!(await kit.getRoom(defaultRoom))) await opts.createRoom(defaultRoom);
    return defaultRoom;
  };
  const backend = new SIPVoiceBackend({
    host: opts.host ?? '127.0.0.1',
    port: opts.port,
    logger: kit.logger,
    registrar: opts.registrar,
    channelId: SIP_VOICE_CHANNEL_ID,
    // Past the server's limits a phone gets 503: a PBX or trunk tries its next route.
    routeCall: async (call) => {
      const refusal = opts.admission?.refusal('sip');
      if (refusal) {
        return {
          reject: 503,
          reason: 'Service Unavailable',
          headers: [['Retry-After', String(refusal.retryAfterS)]],
        };
      }
      return { roomId: await roomFor(call) };
    },
  });
  const stopCounting = opts.admission?.countCalls(() => backend.sessionCount);
  const channel = new VoiceChannel(SIP_VOICE_CHANNEL_ID, {
    stt: voice.stt,
    tts: voice.tts,
    backend,
    // The SIP backend's media clock: every call's reply pacing shares its timers.
    clock: sharedMediaClock,
    // Telephone audio: 8 kHz G.711 or 16 kHz G.722, already gain-controlled by the network.
    // Line and speakerphone echo is cancelled against what the backend played (when
    // libspeexdsp is installed), so the agent does not barge in on itself.
    pipeline: { vad: new WebRTCVADProvider({ mode: 2 }), ...phoneEchoCanceller(kit.logger, 'SIP calls') },
  });
  kit.registerChannel(channel);
  let ports: { udp?: number; tcp?: number };
  try {
    ports = await backend.listen();
  } catch (error) {
    stopCounting?.();
    await backend.close();
    throw error;
  }
  return {
    channel,
    backend,
    ports,
    close: async () => {
      stopCounting?.();
      await backend.close();
    },
  };
}
