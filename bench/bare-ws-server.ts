/**
 * The machine's limit for the voice benches: a bare `ws` server speaking the same protocol
 * and sending the same traffic as our voice server, with as little else as possible. Each
 * caller's frames go through an energy check (speech = RMS >= 300, 100 ms to start, 300 ms
 * of quiet to end); at the end of an utterance it sends the transcript, `speaking`, the
 * reply's PCM in 20 ms frames paced as our WebSocket backend paces them (its own
 * `WEBSOCKET_PACING`: 160 ms ahead of real time, topped up 100 ms at a time in one corked
 * write) from one shared timer, the assistant transcript and `speaking: false`; speech over a
 * reply clears it (barge-in).
 *
 * For the harness's own test, faults it must catch: `--reply-delay-ms=N` starts every reply
 * N ms late, `--drop-every=N` never answers every Nth utterance of a caller.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { WEBSOCKET_PACING } from '../src/voice/backends/websocket-voice-base.js';
import { announce, serveStats } from './voice-server-stats.js';
import { CLIENT_RATE, REPLY_TEXT, replyBytes, SILENCE_MS } from './voice-traffic.js';

const option = (name: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? 0);
const REPLY_DELAY_MS = option('reply-delay-ms');
const DROP_EVERY = option('drop-every');
const FRAME_BYTES = 640;
const FRAME_MS = 20;
// Our transport's own figures, so the two servers never send different traffic: from
// 2026-12-01 to 2026-12-03 this file kept the older 100/60 (three frames a write against our
// five), which made every write of the bare server's carry less than ours.
const LEAD_MS = WEBSOCKET_PACING.leadMs;
const BATCH_MS = WEBSOCKET_PACING.batchMs;
const reply = Buffer.alloc(replyBytes());
for (let i = 0; i < reply.length / 2; i++)
  reply.writeInt16LE(Math.round(3277 * Math.sin((2 * Math.PI * 440 * i) / CLIENT_RATE)), i * 2);

interface Caller {
  ws: WebSocket;
  started: boolean;
  speechMs: number;
  quietMs: number;
  speaking: boolean;
  utterances: number;
  /** Reply being sent: next byte offset, and when the audio sent so far finishes playing. */
  offset: number;
  playedUntil: number;
}

const replying = new Set<Caller>();
const http = createServer();
const wss = new WebSocketServer({ server: http, path: '/voice' });
let sessions = 0;

wss.on('connection', (ws) => {
  const c: Caller = {
    ws,
    started: false,
    speechMs: 0,
    quietMs: 0,
    speaking: false,
    utterances: 0,
    offset: -1,
    playedUntil: 0,
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'start' && !c.started) {
        c.started = true;
        const id = `s${++sessions}`;
        ws.send(
          JSON.stringify({ type: 'ready', sessionId: id, roomId: msg.roomId, sampleRate: CLIENT_RATE }),
        );
      }
      return;
    }
    if (c.started) listen(c, data);
  });
  ws.on('close', () => replying.delete(c));
});

function listen(c: Caller, frame: Buffer): void {
  let sum = 0;
  const n = frame.length >> 1;
  for (let i = 0; i < n; i++) {
    const s = frame.readInt16LE(i * 2);
    sum += s * s;
  }
  const ms = (n / CLIENT_RATE) * 1000;
  const voiced = sum >= 300 * 300 * n;
  if (!c.speaking) {
    c.speechMs = voiced ? c.speechMs + ms : 0;
    if (c.speechMs < 100) return;
    c.speaking = true;
    c.quietMs = 0;
    if (replying.delete(c)) {
      c.ws.send('{"type":"clear_audio"}');
      c.ws.send('{"type":"speaking","speaking":false}');
    }
    return;
  }
  c.quietMs = voiced ? 0 : c.quietMs + ms;
  if (c.quietMs < SILENCE_MS) return;
  c.speaking = false;
  c.speechMs = 0;
  if (DROP_EVERY && ++c.utterances % DROP_EVERY === 0) return;
  if (REPLY_DELAY_MS) setTimeout(() => answer(c), REPLY_DELAY_MS);
  else answer(c);
}

function answer(c: Caller): void {
  if (c.ws.readyState !== c.ws.OPEN) return;
  c.ws.send('{"type":"transcription","text":"tell me something","role":"user","final":true}');
  c.ws.send(`{"type":"transcription","text":"${REPLY_TEXT}","role":"assistant","final":true}`);
  c.ws.send('{"type":"speaking","speaking":true}');
  c.offset = 0;
  c.playedUntil = performance.now();
  replying.add(c);
  pace(c, c.playedUntil);
}

function pace(c: Caller, now: number): void {
  if (c.offset < reply.length && c.playedUntil - now < LEAD_MS - BATCH_MS + 0.001) {
    const socket = (c.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    socket.cork();
    while (c.offset < reply.length && c.playedUntil - now < LEAD_MS - FRAME_MS + 0.001) {
      const end = Math.min(reply.length, c.offset + FRAME_BYTES);
      c.ws.send(reply.subarray(c.offset, end));
      c.playedUntil = Math.max(c.playedUntil, now) + ((end - c.offset) / 2 / CLIENT_RATE) * 1000;
      c.offset = end;
    }
    socket.uncork();
  }
  if (c.offset >= reply.length && c.playedUntil <= now) {
    replying.delete(c);
    c.ws.send('{"type":"speaking","speaking":false}');
  }
}

setInterval(() => {
  const now = performance.now();
  for (const c of replying) pace(c, now);
}, 1);

http.listen(0, '127.0.0.1', () => {
  serveStats();
  announce(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/voice`);
});
