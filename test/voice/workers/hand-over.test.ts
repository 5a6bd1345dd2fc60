/**
 * The hand-over of an upgraded socket to a voice worker: every byte the caller sends after its
 * upgrade request reaches the worker. The main process used to keep reading the socket until
 * the worker acknowledged it, and dropped what it read: a caller's first frame could vanish
 * and the call stay open and silent. Here the caller's `start` arrives while the main process
 * is still authenticating the upgrade (slowly, on purpose), which made that window wide.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RoomKit } from '../../../src/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { attachVoiceWorkers } from '../../../src/server/voice-workers-wiring.js';
import type { VoiceWorkerPool } from '../../../src/voice/workers/voice-worker-pool.js';

const voiceModule = new URL('../../server/fixtures/mock-voice-module.ts', import.meta.url).href;
let kit: RoomKit | undefined;
let pool: VoiceWorkerPool | undefined;
let http: Server | undefined;
let client: Socket | undefined;

afterEach(async () => {
  client?.destroy();
  await new Promise((r) => (http ? http.close(r) : r(undefined)));
  await pool?.close();
  await kit?.close();
  kit = pool = http = client = undefined;
});

/** A masked client text frame (RFC 6455 section 5.2), payload under 126 bytes. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

describe('voice worker hand-over', () => {
  it('a frame the caller sends while the main process still holds the socket reaches the worker', async () => {
    kit = new RoomKit({ logger: silentLogger });
    await kit.createRoom({ roomId: 'r' });
    pool = await attachVoiceWorkers(kit, {
      workers: 1,
      voiceModule,
      // Slow on purpose: the caller's frame arrives before the socket is handed over.
      authenticate: async () => {
        await new Promise((r) => setTimeout(r, 150));
        return { userId: 'caller' };
      },
    });
    const workers = pool;
    http = createServer();
    http.on('upgrade', (req, socket, head) =>
      workers.handleUpgrade(req, socket, head, new URL(req.url ?? '/', 'http://localhost')),
    );
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;

    client = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    client.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
    });
    client.write(
      'GET /voice HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    // After the main process has read the request, before it hands the socket over.
    await new Promise((r) => setTimeout(r, 50));
    client.write(clientTextFrame(JSON.stringify({ type: 'start', roomId: 'r', sampleRate: 16000 })));

    const deadline = Date.now() + 10_000;
    while (!received.includes('"type":"ready"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const text = received.toString('latin1');
    expect(text.startsWith('HTTP/1.1 101')).toBe(true);
    expect(text).toContain('"type":"ready"');
  }, 30_000);
});
