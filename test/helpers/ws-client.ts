import { WebSocket } from 'ws';

export interface TestClient {
  socket: WebSocket;
  frames: any[];
  send(msg: unknown): void;
  /** The next frame (after those already consumed) matching the predicate. */
  next(match?: string | ((f: any) => boolean), timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

/** A JSON WebSocket client that records every frame, for protocol tests. */
export async function connectClient(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
  const socket = new WebSocket(url, { headers });
  const frames: any[] = [];
  const waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  let cursor = 0;
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.match(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    socket,
    frames,
    send: (msg) => socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    next(match, timeoutMs = 5_000) {
      const pred = typeof match === 'string' ? (f: any) => f.type === match : (match ?? (() => true));
      for (let i = cursor; i < frames.length; i++) {
        if (pred(frames[i])) {
          cursor = i + 1;
          return Promise.resolve(frames[i]);
        }
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no frame matching ${String(match)} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          match: pred,
          resolve: (f) => {
            clearTimeout(timer);
            cursor = frames.indexOf(f) + 1;
            resolve(f);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}
