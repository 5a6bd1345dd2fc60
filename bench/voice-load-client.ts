/**
 * Load generator for the voice bench (a separate process, so clients do not share the
 * server's event loop): N WebSocket voice clients, each sending 20 ms of 16 kHz PCM every
 * 20 ms, a 1.2 s voiced / 0.8 s near-silent cycle, and timing the audio that comes back.
 * Prints one JSON line with the lateness of received frames (p50/p99) when done.
 */
import { WebSocket } from 'ws';

const [url, countArg, secondsArg] = process.argv.slice(2);
const count = Number(countArg);
const seconds = Number(secondsArg);
const FRAME = 320;

const voiced = new Int16Array(FRAME).map((_, i) =>
  Math.round(5000 * Math.sin((2 * Math.PI * 220 * i) / 16000)),
);
const quiet = new Int16Array(FRAME).map((_, i) => Math.round(30 * Math.sin((2 * Math.PI * 220 * i) / 16000)));

interface Client {
  ws: WebSocket;
  ready: boolean;
  /** When the current burst of received audio should have played up to (ms). */
  due: number;
  bytes: number;
}

const lateness: number[] = [];
const clients: Client[] = [];
let opened = 0;
for (let i = 0; i < count; i++) {
  const ws = new WebSocket(`${url}?user=load${i}`);
  const c: Client = { ws, ready: false, due: 0, bytes: 0 };
  ws.binaryType = 'nodebuffer';
  ws.on('open', () =>
    ws.send(JSON.stringify({ type: 'start', sampleRate: 16000, roomId: `load-${i}`, framing: 'binary' })),
  );
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'ready') {
        c.ready = true;
        opened++;
      }
      return;
    }
    const now = performance.now();
    const ms = ((data as Buffer).byteLength / 2 / 16000) * 1000;
    // A frame is late by how much it arrives after the previous ones would have finished
    // playing (minus the pacer's lead): that is an audible gap.
    if (c.due > 0 && now - c.due < 500) lateness.push(Math.max(0, now - c.due));
    c.due = Math.max(c.due, now) + ms;
    c.bytes += (data as Buffer).byteLength;
  });
  ws.on('error', () => {});
  clients.push(c);
}

const start = performance.now();
let tick = 0;
const timer = setInterval(() => {
  const phase = (tick * 20) % 2000;
  const frame = phase < 1200 ? voiced : quiet;
  for (const c of clients) if (c.ready) c.ws.send(frame);
  tick++;
  if (performance.now() - start > seconds * 1000) {
    clearInterval(timer);
    lateness.sort((a, b) => a - b);
    const pick = (q: number) => lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? 0;
    const received = clients.reduce((n, c) => n + c.bytes, 0);
    console.log(
      JSON.stringify({
        opened,
        frames: lateness.length,
        p50: pick(0.5),
        p99: pick(0.99),
        receivedBytes: received,
      }),
    );
    for (const c of clients) c.ws.terminate();
    process.exit(0);
  }
}, 20);
