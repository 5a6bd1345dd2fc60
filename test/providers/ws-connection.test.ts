/**
 * A vendor's messages that arrive in one read (a TTS reply's first audio chunks, sent
 * together) reach the provider one per turn of the event loop: what the first message wakes
 * (the reply's consumer, awaiting it) runs before the next message is parsed.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connectWebSocket } from '../../src/providers/shared/ws-connection.js';

let server: WebSocketServer | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An unmasked server-to-client text frame (payloads under 126 bytes). */
const textFrame = (text: string) => Buffer.concat([Buffer.from([0x81, text.length]), Buffer.from(text)]);

it("wakes the consumer of a burst's first message before parsing the second", async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server!.once('listening', resolve));
  server.on('connection', (peer) => {
    // Three frames in one write: the client reads them together.
    const raw = (peer as unknown as { _socket: { write(b: Buffer): void } })._socket;
    raw.write(Buffer.concat(['{"n":1}', '{"n":2}', '{"n":3}'].map(textFrame)));
  });
  const { port } = server.address() as AddressInfo;
  const ws = await connectWebSocket({ provider: 'test', url: `ws://127.0.0.1:${port}` });
  try {
    const emitted: number[] = [];
    /** For each message: how many had been emitted when its consumer's microtask ran. */
    const seenByConsumer: number[] = [];
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('three messages did not arrive in 5 s')), 5000);
      ws.on('message', (data) => {
        emitted.push(JSON.parse(String(data)).n);
        const count = emitted.length;
        queueMicrotask(() => {
          seenByConsumer.push(emitted.length - count);
          if (seenByConsumer.length === 3) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    });
    await all;
    expect(emitted).toEqual([1, 2, 3]);
    // Emitted all in one go, the first message's consumer would have run after two more.
    expect(seenByConsumer).toEqual([0, 0, 0]);
  } finally {
    ws.terminate();
  }
});
