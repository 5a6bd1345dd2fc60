import { WebSocket } from 'ws';
import type { Logger } from '../../../src/core/logger.js';

/** A voice client over a real socket that records every frame, for protocol tests. */
export interface VoiceTestClient {
  socket: WebSocket;
  /** JSON messages from the server, in order. */
  messages: any[];
  /** Audio the server sent (binary frames, or decoded JSON audio), concatenated. */
  receivedAudio(): Uint8Array;
  /** The next message (after those already consumed) matching type or predicate. */
  next(match: string | ((m: any) => boolean), timeoutMs?: number): Promise<any>;
  /** Sends and resolves once the bytes were handed to the socket. */
  sendJson(msg: unknown): Promise<void>;
  sendRaw(text: string): Promise<void>;
  sendBinary(bytes: Uint8Array): Promise<void>;
  /** Inbound audio in the client's framing. */
  sendAudio(pcm: Int16Array): Promise<void>;
  framing: 'binary' | 'json';
  closed: Promise<number>;
  close(): Promise<void>;
}

export async function openVoiceClient(
  url: string,
  opts: { headers?: Record<string, string>; autoPong?: boolean; framing?: 'binary' | 'json' } = {},
): Promise<VoiceTestClient> {
  const socket = new WebSocket(url, { headers: opts.headers, autoPong: opts.autoPong ?? true });
  const messages: any[] = [];
  const audio: Uint8Array[] = [];
  let audioBytes = 0;
  const waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  let cursor = 0;
  socket.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) {
      audio.push(buf);
      audioBytes += buf.byteLength;
      return;
    }
    const msg = JSON.parse(buf.toString('utf8'));
    if (msg.type === 'audio') {
      const bytes = Buffer.from(msg.data, 'base64');
      audio.push(bytes);
      audioBytes += bytes.byteLength;
    }
    messages.push(msg);
    for (const w of [...waiters]) {
      if (w.match(msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const send = (data: string | Uint8Array, binary: boolean) =>
    new Promise<void>((resolve, reject) =>
      socket.send(data, { binary }, (err) => (err ? reject(err) : resolve())),
    );
  const client: VoiceTestClient = {
    socket,
    messages,
    framing: opts.framing ?? 'binary',
    closed,
    receivedAudio: () => {
      const out = Buffer.concat(audio, audioBytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    next(match, timeoutMs = 5_000) {
      const pred = typeof match === 'string' ? (m: any) => m.type === match : match;
      for (let i = cursor; i < messages.length; i++) {
        if (pred(messages[i])) {
          cursor = i + 1;
          return Promise.resolve(messages[i]);
        }
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message matching ${String(match)}`)), timeoutMs);
        waiters.push({
          match: pred,
          resolve: (m) => {
            clearTimeout(timer);
            cursor = messages.indexOf(m) + 1;
            resolve(m);
          },
        });
      });
    },
    sendJson: (msg) => send(JSON.stringify(msg), false),
    sendRaw: (text) => send(text, false),
    sendBinary: (bytes) => send(bytes, true),
    sendAudio: (pcm) => {
      const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      return client.framing === 'json'
        ? send(JSON.stringify({ type: 'audio', data: Buffer.from(bytes).toString('base64') }), false)
        : send(Buffer.from(bytes), true);
    },
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
  return client;
}

/** Open, send `start`, wait for `ready`. */
export async function startVoiceClient(
  url: string,
  start: { sampleRate?: number; roomId?: string; framing?: 'binary' | 'json'; sessionId?: string },
  opts: { headers?: Record<string, string>; autoPong?: boolean } = {},
): Promise<{ client: VoiceTestClient; ready: any }> {
  const client = await openVoiceClient(url, { ...opts, framing: start.framing });
  await client.sendJson({ type: 'start', ...start });
  const ready = await client.next((m) => m.type === 'ready' || m.type === 'error');
  if (ready.type !== 'ready') throw new Error(`start refused: ${ready.code}`);
  return { client, ready };
}

/** A logger that keeps what it is told (for asserting log lines) and prints nothing. */
export function memoryLogger(): Logger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
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
