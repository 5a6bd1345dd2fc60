/**
 * `roomkit serve` with phone numbers: each carrier configured in the environment (Twilio,
 * Telnyx, Plivo, Vonage, Exotel) gets its media-stream backend and a VoiceChannel
 * `voice-<carrier>` on the server's speech engines. Webhooks are at `/carriers/<carrier>/answer`
 * and `/status`, the stream at `/carriers/<carrier>/stream/...`; they authenticate by the
 * carrier's signature (or Basic auth for Exotel), never by the roomkit token. A caller the
 * server knows (by number, from SMS or an earlier call) continues in their latest room; a new
 * one gets a room of their own wired like the console's. Calls start and end as system events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sharedMediaClock } from '../backends/rtp/media-clock.js';
import { type ContactIdentityResolver, routeByContact } from '../core/contact-identity.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RoomKit } from '../core/roomkit.js';
import type { VoiceAdmission } from '../voice/admission.js';
import type { CarrierCallInfo } from '../providers/shared/media-stream/pending-calls.js';
import {
  CARRIER_LEAD_MS,
  type MediaStreamBackend,
  type MediaStreamBackendOptions,
  writeCallNotices,
} from '../providers/shared/media-stream/index.js';
import { WebRTCVADProvider } from '../voice/pipeline/webrtc-vad.js';
import { VoiceChannel } from '../voice/voice-channel.js';
import { phoneEchoCanceller } from './phone-echo-canceller.js';
import type { ServerVoice } from './voice-from-env.js';

export interface CarrierVoiceOptions {
  /** Creates a room wired with the server's own channels (web clients and the agent). */
  createRoom(roomId?: string): Promise<{ id: string }>;
  contacts: ContactIdentityResolver;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** The server's limits on calls: past them a carrier's call is answered with its reject markup. */
  admission?: VoiceAdmission;
}

export interface CarrierInfo {
  carrier: string;
  channelId: string;
  /** Where to point the carrier's voice webhook (path; prefix it with the public origin). */
  answerPath: string;
  statusPath: string;
}

export interface AttachedCarriers {
  backends: MediaStreamBackend[];
  channels: VoiceChannel[];
  info: CarrierInfo[];
  /** Serve a carrier webhook; resolves false when the path is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** True when a WebSocket upgrade is a carrier's media stream. */
  ownsUpgrade(url: URL): boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  close(): Promise<void>;
}

type Factory = (opts: MediaStreamBackendOptions) => Promise<MediaStreamBackend>;

/** The carriers whose credentials the environment holds, with how to build each backend. */
function configuredCarriers(env: NodeJS.ProcessEnv): [string, Factory][] {
  const out: [string, Factory][] = [];
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) {
    out.push([
      'twilio',
      async (o) => new (await import('../providers/twilio/index.js')).TwilioMediaStreamBackend(o),
    ]);
  }
  if (env.TELNYX_API_KEY && env.TELNYX_PUBLIC_KEY) {
    out.push([
      'telnyx',
      async (o) => new (await import('../providers/telnyx/index.js')).TelnyxMediaStreamBackend(o),
    ]);
  }
  if (env.PLIVO_AUTH_ID && env.PLIVO_AUTH_TOKEN) {
    out.push([
      'plivo',
      async (o) => new (await import('../providers/plivo/index.js')).PlivoMediaStreamBackend(o),
    ]);
  }
  if (
    env.VONAGE_SIGNATURE_SECRET &&
    ((env.VONAGE_APPLICATION_ID && env.VONAGE_PRIVATE_KEY) || (env.VONAGE_API_KEY && env.VONAGE_API_SECRET))
  ) {
    out.push([
      'vonage',
      async (o) => new (await import('../providers/vonage/index.js')).VonageMediaStreamBackend(o),
    ]);
  }
  if ((env.EXOTEL_ACCOUNT_SID || env.EXOTEL_SID) && env.EXOTEL_API_KEY && env.EXOTEL_API_TOKEN) {
    out.push([
      'exotel',
      async (o) => new (await import('../providers/exotel/index.js')).ExotelMediaStreamBackend(o),
    ]);
  }
  return out;
}

/** Build, register and mount the carriers the environment configures (none: a no-op). */
export async function attachCarrierVoice(
  kit: RoomKit,
  voice: ServerVoice,
  opts: CarrierVoiceOptions,
): Promise<AttachedCarriers> {
  const env = opts.env ?? process.env;
  const backends: MediaStreamBackend[] = [];
  const channels: VoiceChannel[] = [];
  const unsubscribe: (() => void)[] = [];
  // A known caller continues where they were (their last room, on any channel); a new one
  // gets a fresh room wired like the console's.
  const routeCall = (carrier: string) => async (call: CarrierCallInfo) => {
    // Past the server's limits: the carrier's reject markup (the caller hears the line refuse).
    if (opts.admission?.refusal(carrier)) return undefined;
    const caller = call.from;
    if (caller) {
      const known = await routeByContact(kit, opts.contacts, {
        channelId: 'voice',
        address: caller,
        senderId: caller,
        content: { type: 'text', body: '' },
      });
      if (known) return { roomId: known.roomId, participantId: known.participantId };
    }
    const room = await opts.createRoom();
    return { roomId: room.id };
  };
  for (const [carrier, make] of configuredCarriers(env)) {
    try {
      const backend = await make({
        publicUrl: env.ROOMKIT_PUBLIC_URL || undefined,
        trustProxy: env.ROOMKIT_TRUST_PROXY === '1',
        routeCall: routeCall(carrier),
        clock: sharedMediaClock,
        logger: kit.logger.child({ carrier }),
      });
      const channel = new VoiceChannel(`voice-${carrier}`, {
        stt: voice.stt,
        tts: voice.tts,
        backend,
        // The media clock the backends pace on: every call's reply pacing shares its timers.
        clock: sharedMediaClock,
        // Carriers buffer and clear on barge-in; the marks say what was heard: run ahead more.
        pacer: { leadMs: CARRIER_LEAD_MS },
        // Line and speakerphone echo is cancelled against the frames as they leave (the
        // delay estimator finds the carrier's buffering), as for SIP calls.
        pipeline: {
          vad: new WebRTCVADProvider({ mode: 2 }),
          ...phoneEchoCanceller(kit.logger, 'phone calls'),
        },
      });
      kit.registerChannel(channel);
      unsubscribe.push(writeCallNotices(kit, backend));
      backends.push(backend);
      channels.push(channel);
    } catch (error) {
      opts.logger.warn({ carrier, err: errorMessage(error) }, 'phone calls not started for this carrier');
    }
  }
  // A call counts from its answer (waiting for its stream) to its hang-up.
  const stopCounting = opts.admission?.countCalls(() =>
    backends.reduce((n, b) => n + b.sessionCount + b.pending.size, 0),
  );
  const info = backends.map((b) => ({
    carrier: b.name,
    channelId: `voice-${b.name}`,
    answerPath: `${b.basePath}/answer`,
    statusPath: `${b.basePath}/status`,
  }));
  if (backends.length) opts.logger.info({ carriers: info }, 'phone numbers mounted');
  return {
    backends,
    channels,
    info,
    async handle(req, res) {
      for (const backend of backends) if (await backend.handleRequest(req, res)) return true;
      return false;
    },
    ownsUpgrade: (url) => backends.some((b) => b.ownsUpgrade(url)),
    handleUpgrade(req, socket, head, url) {
      backends.find((b) => b.ownsUpgrade(url))?.handleUpgrade(req, socket, head, url);
    },
    async close() {
      stopCounting?.();
      for (const off of unsubscribe.splice(0)) off();
      // Calls get their hang-up while the channels still listen; the kit closes the channels.
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}
