/**
 * StreamCallProcess: a fake carrier stream whose carrier side runs in a child process. Checked
 * against a plain WebSocket server in this process playing our side: the records come back on
 * this process's clock, commands reach the line, and the line keeps real time while this
 * process's event loop is blocked, which the in-process FakeStreamCall cannot (the control).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { FakeStreamCall, StreamCallProcess, twilioDialect } from '../../src/testing/index.js';

const info = { streamId: 'MZ1', callId: 'CA1', from: '+15550100001', to: '+15550100002', parameters: {} };

interface OurSide {
  url: string;
  /** The stream's socket, once the fake connected. */
  socket: Promise<WebSocket>;
  /** What the fake sent us, parsed. */
  messages: Record<string, any>[];
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function ourSide(opts: { refuse?: boolean } = {}): Promise<OurSide> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, done) => done(!opts.refuse, 403),
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  cleanup.push(() => new Promise((resolve) => wss.close(resolve)));
  const messages: Record<string, any>[] = [];
  const socket = new Promise<WebSocket>((resolve) =>
    wss.once('connection', (ws) => {
      ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
      resolve(ws);
    }),
  );
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/stream`, socket, messages };
}

type Line = StreamCallProcess | FakeStreamCall;

function open(kind: 'process' | 'in-process', url: string): Line {
  const line =
    kind === 'process'
      ? new StreamCallProcess(twilioDialect, info, url)
      : new FakeStreamCall(twilioDialect, info, url);
  cleanup.push(() => (line.isOpen ? line.hangup() : undefined));
  return line;
}

/** 20 ms of mu-law (8 kHz), every byte `fill`. */
const frame = (fill: number) => new Uint8Array(160).fill(fill);
const media = (payload: Uint8Array) =>
  JSON.stringify({
    event: 'media',
    streamSid: 'MZ1',
    media: { payload: Buffer.from(payload).toString('base64') },
  });
const mark = (name: string) => JSON.stringify({ event: 'mark', streamSid: 'MZ1', mark: { name } });

describe('StreamCallProcess', () => {
  it('plays what we send in the child and mirrors its records on this process clock', async () => {
    const our = await ourSide();
    const line = open('process', our.url) as StreamCallProcess;
    await line.opened;
    const ws = await our.socket;
    await vi.waitFor(() => expect(our.messages.map((m) => m.event)).toEqual(['connected', 'start']), {
      timeout: 5000,
    });
    const sentAt = performance.now();
    for (let i = 1; i <= 5; i++) ws.send(media(frame(i)));
    ws.send(mark('first'));
    await vi.waitFor(() => expect(line.marks[0]?.echoedAt).toBeDefined(), { timeout: 5000, interval: 10 });
    expect(line.received.map((r) => r.payload[0])).toEqual([1, 2, 3, 4, 5]);
    expect(line.received[0]!.payload).toEqual(Buffer.from(frame(1)));
    // The child's times, put on ours: it read the first frame right after we sent it...
    expect(line.received[0]!.at).toBeGreaterThanOrEqual(sentAt - 1);
    expect(line.received[0]!.at - sentAt).toBeLessThan(100);
    // ...and echoed the mark once the 100 ms before it had played.
    const played = line.marks[0]!.echoedAt! - line.received[0]!.at;
    expect(played).toBeGreaterThanOrEqual(99);
    expect(played).toBeLessThan(200);
    expect(line.receivedMs).toBe(100);
    expect(line.receivedPcm()).toHaveLength(800);
    await vi.waitFor(() => expect(line.playedMs).toBe(100), { timeout: 5000, interval: 10 });
    expect(our.messages.at(-1)).toMatchObject({ event: 'mark', mark: { name: 'first' } });

    // A clear drops what has not played: Twilio echoes the pending mark at once, marked cleared.
    for (let i = 0; i < 25; i++) ws.send(media(frame(9)));
    ws.send(mark('second'));
    ws.send(JSON.stringify({ event: 'clear', streamSid: 'MZ1' }));
    await vi.waitFor(() => expect(line.clears).toHaveLength(1), { timeout: 5000, interval: 10 });
    await vi.waitFor(() => expect(line.marks[1]).toMatchObject({ name: 'second', cleared: true }), {
      timeout: 5000,
      interval: 10,
    });
    expect(line.marks[1]!.echoedAt! - line.clears[0]!.at).toBeLessThan(1);
    expect(line.clears[0]!.playedMs).toBeLessThan(200);
  });

  it('streams the caller, sends DTMF and hangs up with the carrier stop message', async () => {
    const our = await ourSide();
    const line = open('process', our.url);
    await line.opened;
    expect(line.isOpen).toBe(true);
    const tone = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
    const started = performance.now();
    await line.streamAudio(tone);
    // In real time: five 20 ms messages, the last sent 80 ms after the first.
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    line.sendDtmf('7');
    expect(await line.hangup()).toBe(1000);
    expect(line.isOpen).toBe(false);
    const events = our.messages.map((m) => m.event);
    expect(events).toEqual([
      'connected',
      'start',
      'media',
      'media',
      'media',
      'media',
      'media',
      'dtmf',
      'stop',
    ]);
    expect(our.messages[7]).toMatchObject({ dtmf: { digit: '7' } });
    // What we heard is the tone, mu-law coded: loud, not silence.
    const bytes = Buffer.from(our.messages[2]!.media.payload, 'base64');
    expect(bytes).toHaveLength(160);
    expect(new Set(bytes).size).toBeGreaterThan(10);
  });

  it('rejects opened when the upgrade is refused, and its child ends', async () => {
    const our = await ourSide({ refuse: true });
    const line = open('process', our.url);
    await expect(line.opened).rejects.toThrow(/refused \(403\)/);
    expect(await line.closed).toBe(1006);
  });

  // The point of the process: a stall of this process's loop (a server under load) must not
  // move the line's playback. The in-process fake is the control: it reads our audio only
  // when the stall ends, so it plays (and would echo) that much later than it was sent.
  it.each([
    ['process', 'keeps', 0, 250],
    ['in-process', 'loses', 380, 10_000],
  ] as const)('a line in %s %s real time while this process is blocked', async (kind, _, atLeast, below) => {
    const our = await ourSide();
    const line = open(kind, our.url);
    await line.opened;
    const ws = await our.socket;
    await vi.waitFor(() => expect(our.messages).toHaveLength(2), { timeout: 5000 });
    const sentAt = performance.now();
    for (let i = 0; i < 5; i++) ws.send(media(frame(1)));
    ws.send(mark('played'));
    const until = performance.now() + 300;
    while (performance.now() < until) {} // the event loop blocked for 300 ms
    await vi.waitFor(() => expect(line.marks[0]?.echoedAt).toBeDefined(), { timeout: 5000, interval: 10 });
    const heardAfter = line.marks[0]!.echoedAt! - sentAt;
    expect(heardAfter).toBeGreaterThanOrEqual(Math.max(atLeast, 99));
    expect(heardAfter).toBeLessThan(below);
  });
});
