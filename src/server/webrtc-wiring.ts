import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isLoopbackHost } from '../backends/webrtc/loopback.js';
import { interceptRequests, type RequestHandler } from '../backends/webrtc/http-mount.js';
import { createWebRTCHandler, type WebRTCAuthenticate } from '../backends/webrtc/signalling.js';
import type { WebRTCVoiceBackendOptions } from '../backends/webrtc/webrtc-backend-options.js';
import { WebRTCVoiceBackend } from '../backends/webrtc/webrtc-voice-backend.js';
import type { RoomKit } from '../core/roomkit.js';
import { WebRTCVADProvider } from '../voice/pipeline/webrtc-vad.js';
import { VoiceChannel } from '../voice/voice-channel.js';
import type { ServerVoice } from './voice-from-env.js';

export const WEBRTC_VOICE_CHANNEL_ID = 'voice-webrtc';
export const WEBRTC_PATH = '/rtc';

/** The browser library, compiled by `npm run build` (same relative path from src/ and dist/). */
export const CLIENT_ROOT = new URL('../../dist/client/', import.meta.url);
const CLIENT_PREFIX = '/client/';
const CLIENT_FILE = /^[a-z0-9-]+\.js(\.map)?$/;

export interface AttachWebRTCOptions {
  /** The server's authentication (the console's token authenticates offers too). */
  authenticate: WebRTCAuthenticate;
  /** The address the server binds: on loopback, 127.0.0.1 is offered as a host candidate. */
  host?: string;
  backend?: Partial<WebRTCVoiceBackendOptions>;
}

export interface AttachedWebRTC {
  channel: VoiceChannel;
  backend: WebRTCVoiceBackend;
  /** Answers signalling requests under /rtc (false for other paths); run it after your Host/Origin checks. */
  handle: RequestHandler;
}

/**
 * `roomkit serve`'s WebRTC talk path: signalling on /rtc beside the WebSocket /voice, a
 * second VoiceChannel ('voice-webrtc') with the same speech engines over a
 * WebRTCVoiceBackend, and the browser library on /client/. Two channels rather than one
 * backend for both transports because each declares its own capabilities: WebRTC calls get
 * the browser's echo cancellation and gain control (NATIVE_AEC/AGC), WebSocket calls the
 * server's AGC.
 */
export function attachWebRTCVoice(
  kit: RoomKit,
  voice: ServerVoice,
  opts: AttachWebRTCOptions,
): AttachedWebRTC {
  const backend = new WebRTCVoiceBackend({
    channelId: WEBRTC_VOICE_CHANNEL_ID,
    logger: kit.logger,
    // A loopback-only server must offer a loopback candidate (werift skips it by default).
    iceHostAddresses: opts.host === undefined || isLoopbackHost(opts.host) ? ['127.0.0.1'] : undefined,
    authorizeSession: async ({ roomId }) =>
      (await kit.getRoom(roomId)) ? true : { code: 'room_not_found', message: `no room ${roomId}` },
    ...opts.backend,
  });
  const channel = new VoiceChannel(WEBRTC_VOICE_CHANNEL_ID, {
    stt: voice.stt,
    tts: voice.tts,
    backend,
    // No server AGC or AEC: the browser runs both on the microphone (NATIVE_AGC/NATIVE_AEC).
    pipeline: { vad: new WebRTCVADProvider({ mode: 2 }) },
  });
  kit.registerChannel(channel);
  const handle = createWebRTCHandler(backend, {
    authenticate: opts.authenticate,
    path: WEBRTC_PATH,
    logger: kit.logger,
  });
  return { channel, backend, handle };
}

/** Answers GET /client/<file>.js from the compiled library (false for other paths). */
export const handleClientLibrary: RequestHandler = (req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!path.startsWith(CLIENT_PREFIX)) return false;
  return sendClientFile(req, res, path.slice(CLIENT_PREFIX.length));
};

/** Serve the browser library's files under /client/ on any Node HTTP server (GET, compiled files only). */
export function serveClientLibrary(http: Server): () => void {
  return interceptRequests(http, handleClientLibrary);
}

async function sendClientFile(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  if (!CLIENT_FILE.test(name)) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  try {
    const body = await readFile(new URL(name, CLIENT_ROOT));
    res
      .writeHead(200, {
        'content-type': name.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8',
        'cache-control': 'no-cache',
      })
      .end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: `client library file ${name} not found (run npm run build)` }));
  }
}
