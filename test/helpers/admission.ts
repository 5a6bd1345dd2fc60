/** For tests of a voice server's limits (VoiceAdmission): a refused upgrade, a busy event loop. */
import { WebSocket } from 'ws';

export interface Refused {
  status: number;
  retryAfter?: string;
  body: { error?: { code: string; message: string } };
}

/** Opens a WebSocket and expects the upgrade to be refused: its status, Retry-After and JSON body. */
export function refusedUpgrade(url: string): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error('no answer to the upgrade in 5 s')), 5_000);
    socket.once('open', () => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', () => {});
    socket.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'],
          body: text ? JSON.parse(text) : {},
        });
      });
    });
  });
}

/** Keeps this process's event loop busy in 40 ms slices (yielding between them) until stopped. */
export function saturateLoop(): () => void {
  let running = true;
  const spin = () => {
    if (!running) return;
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // busy: the point is to leave the loop no idle time
    }
    setImmediate(spin);
  };
  spin();
  return () => {
    running = false;
  };
}
