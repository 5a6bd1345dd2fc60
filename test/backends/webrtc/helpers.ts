import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../src/core/logger.js';
import {
  mountWebRTC,
  type MountWebRTCOptions,
  WebRTCVoiceBackend,
  type WebRTCVoiceBackendOptions,
} from '../../../src/backends/webrtc/index.js';

/** Token `user:<id>` or `user:<id>@<room>` authenticates; anything else is refused. */
export const tokenAuth: MountWebRTCOptions['authenticate'] = (_req, token) => {
  const m = token?.match(/^user:([^@]+)(?:@(.+))?$/);
  return m ? { userId: m[1]!, roomId: m[2], metadata: { via: 'token' } } : null;
};

export interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

export function memoryLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

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

/** A sine at `hz`, `ms` long. */
export function tone(hz: number, ms: number, rate: number, amplitude = 8000): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  return new Int16Array(n).map((_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)));
}

export function rmsOf(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

/** Dominant frequency by zero crossings (good enough for a clean tone through Opus). */
export function zeroCrossingHz(pcm: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1]! < 0 !== pcm[i]! < 0) crossings++;
  return (crossings / 2 / pcm.length) * rate;
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
