import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { VoiceConnection } from '../../../src/voice/backends/websocket-voice-connection.js';

/** A ws socket and its TCP socket, recording what the connection does with them. */
function fakeSocket() {
  const log: string[] = [];
  const ws = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    send: (data: unknown) =>
      log.push(typeof data === 'string' ? `text ${data}` : `binary ${(data as Uint8Array).byteLength}`),
  } as unknown as WebSocket;
  const raw = { cork: () => log.push('cork'), uncork: () => log.push('uncork') };
  return { ws, raw, log };
}

describe('VoiceConnection batching', () => {
  it("sends a tick's messages in one write: corked at the first, uncorked when the tick ends", async () => {
    const { ws, raw, log } = fakeSocket();
    const conn = new VoiceConnection(ws, { userId: 'u' }, 1 << 20, () => {}, raw);
    conn.sampleRate = 16000;
    conn.sendPcm(new Uint8Array(640)); // starts speaking: a control message, then the frame
    conn.sendPcm(new Uint8Array(640));
    expect(log).toEqual(['cork', 'text {"type":"speaking","speaking":true}', 'binary 640', 'binary 640']);
    await new Promise((r) => process.nextTick(r));
    expect(log.at(-1)).toBe('uncork');
    // The next tick corks again.
    conn.sendPcm(new Uint8Array(640));
    expect(log.slice(-2)).toEqual(['cork', 'binary 640']);
    await new Promise((r) => setImmediate(r));
    expect(log.filter((l) => l === 'uncork')).toHaveLength(2);
  });

  it('sends as before without a TCP socket to cork', () => {
    const { ws, log } = fakeSocket();
    const conn = new VoiceConnection(ws, { userId: 'u' }, 1 << 20, () => {});
    conn.sampleRate = 16000;
    conn.sendJson({ type: 'pong' });
    expect(log).toEqual(['text {"type":"pong"}']);
  });
});
