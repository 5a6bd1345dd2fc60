import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  mountWebRTC,
  type MountWebRTCOptions,
  WebRTCVoiceBackend,
  type WebRTCVoiceBackendOptions,
} from '../../../src/backends/webrtc/index.js';
import { memoryLogger } from '../../voice/backends/voice-ws-client.js';

export { memoryLogger };

/** Token `user:<id>` or `user:<id>@<room>` authenticates; anything else is refused. */
export const tokenAuth: MountWebRTCOptions['authenticate'] = (_req, token) => {
  const m = token?.match(/^user:([^@]+)(?:@(.+))?$/);
  return m ? { userId: m[1]!, roomId: m[2], metadata: { via: 'token' } } : null;
};

export interface RtcServer<B extends WebRTCVoiceBackend = WebRTCVoiceBackend> {
  backend: B;
  http: Server;
  url: string;
  logger: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
}

/** A backend mounted on a fresh HTTP server on 127.0.0.1 (port 0). */
export async function startRtcServer<B extends WebRTCVoiceBackend = WebRTCVoiceBackend>(
  opts: WebRTCVoiceBackendOptions = {},
  mount: Partial<MountWebRTCOptions> = {},
  make: (o: WebRTCVoiceBackendOptions) => B = (o) => new WebRTCVoiceBackend(o) as B,
): Promise<RtcServer<B>> {
  const logger = memoryLogger();
  const backend = make({ iceHostAddresses: ['127.0.0.1'], logger, ...opts });
  const http = createServer((_req, res) => res.writeHead(404).end('app 404'));
  mountWebRTC(http, backend, { authenticate: tokenAuth, logger, ...mount });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    backend,
    http,
    logger,
    url: `http://127.0.0.1:${port}${mount.path ?? '/rtc'}`,
    async close() {
      await backend.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
