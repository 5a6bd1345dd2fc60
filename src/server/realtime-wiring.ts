import type { RequestHandler } from '../backends/webrtc/http-mount.js';
import type { WebRTCVoiceBackendOptions } from '../backends/webrtc/webrtc-backend-options.js';
import { isLoopbackHost } from '../backends/webrtc/loopback.js';
import { createWebRTCHandler, type WebRTCAuthenticate } from '../backends/webrtc/signalling.js';
import { WebRTCRealtimeTransport } from '../backends/webrtc/webrtc-realtime-transport.js';
import type { RoomKit } from '../core/roomkit.js';
import type { RealtimeVoiceProvider } from '../realtime/provider.js';
import { RealtimeVoiceChannel } from '../realtime/realtime-voice-channel.js';

export const REALTIME_CHANNEL_ID = 'voice-realtime';
export const REALTIME_PATH = '/rtc-realtime';

/** A speech-to-speech model for the console's realtime mode. */
export interface ServerRealtime {
  provider: RealtimeVoiceProvider;
  /** What the console shows, e.g. "openai gpt-realtime". */
  label: string;
}

/**
 * The realtime model `roomkit serve` offers when its key is set, first found wins: OpenAI
 * (`OPENAI_API_KEY`), Gemini Live (`GEMINI_API_KEY` or `GOOGLE_API_KEY`), xAI (`XAI_API_KEY`),
 * ElevenLabs Agents (`ELEVENLABS_AGENT_ID`, with `ELEVENLABS_API_KEY` for private agents).
 * `<VENDOR>_REALTIME_BASE_URL` points a provider elsewhere (a gateway, a test server);
 * `ROOMKIT_REALTIME=off` turns the mode off. Providers are imported only when chosen.
 */
export async function realtimeFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerRealtime | undefined> {
  if (env.ROOMKIT_REALTIME === 'off') return undefined;
  if (env.OPENAI_API_KEY) {
    const { OpenAIRealtimeProvider } = await import('../providers/openai/index.js');
    const provider = new OpenAIRealtimeProvider({
      apiKey: env.OPENAI_API_KEY,
      baseUrl: env.OPENAI_REALTIME_BASE_URL,
    });
    return { provider, label: `openai ${provider.model ?? 'realtime'}` };
  }
  const google = env.GEMINI_API_KEY || env.GOOGLE_API_KEY;
  if (google) {
    const { GeminiLiveProvider } = await import('../providers/gemini/index.js');
    return {
      provider: new GeminiLiveProvider({ apiKey: google, baseUrl: env.GEMINI_REALTIME_BASE_URL }),
      label: 'gemini live',
    };
  }
  if (env.XAI_API_KEY) {
    const { XAIRealtimeProvider } = await import('../providers/xai/index.js');
    return {
      provider: new XAIRealtimeProvider({ apiKey: env.XAI_API_KEY, baseUrl: env.XAI_REALTIME_BASE_URL }),
      label: 'xai grok voice',
    };
  }
  if (env.ELEVENLABS_AGENT_ID) {
    const { ElevenLabsRealtimeProvider } = await import('../providers/elevenlabs/index.js');
    return {
      provider: new ElevenLabsRealtimeProvider({
        agentId: env.ELEVENLABS_AGENT_ID,
        apiKey: env.ELEVENLABS_API_KEY,
        baseUrl: env.ELEVENLABS_REALTIME_BASE_URL,
      }),
      label: 'elevenlabs agents',
    };
  }
  return undefined;
}

export interface AttachedRealtime {
  channel: RealtimeVoiceChannel;
  transport: WebRTCRealtimeTransport;
  /** Answers signalling under /rtc-realtime (false for other paths); after the Host/Origin checks. */
  handle: RequestHandler;
}

/**
 * The console's realtime mode: a RealtimeVoiceChannel ('voice-realtime') over WebRTC on
 * /rtc-realtime, beside the cascaded voice channels. A browser that connects starts a session
 * in the room it asked for (the token's room scope and the room's existence are checked);
 * what the caller and the model say are room events, like any other channel's.
 */
export function attachRealtimeVoice(
  kit: RoomKit,
  realtime: ServerRealtime,
  opts: {
    authenticate: WebRTCAuthenticate;
    host?: string;
    systemPrompt?: string;
    /** Transport options on top of the defaults (`startServer` passes its ICE servers here). */
    backend?: Partial<WebRTCVoiceBackendOptions>;
  },
): AttachedRealtime {
  const transport = new WebRTCRealtimeTransport({
    channelId: REALTIME_CHANNEL_ID,
    logger: kit.logger,
    iceHostAddresses: opts.host === undefined || isLoopbackHost(opts.host) ? ['127.0.0.1'] : undefined,
    authorizeSession: async ({ roomId }) =>
      (await kit.getRoom(roomId)) ? true : { code: 'room_not_found', message: `no room ${roomId}` },
    ...opts.backend,
  });
  const channel = new RealtimeVoiceChannel(REALTIME_CHANNEL_ID, {
    provider: realtime.provider,
    transport,
    systemPrompt: opts.systemPrompt,
  });
  kit.registerChannel(channel);
  const handle = createWebRTCHandler(transport, {
    authenticate: opts.authenticate,
    path: REALTIME_PATH,
    logger: kit.logger,
  });
  return { channel, transport, handle };
}
