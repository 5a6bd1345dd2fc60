/**
 * Issue 8: Gradium and ElevenLabs TTS keep a warm socket between replies. When the vendor
 * drops it while idle, the next reply must still be spoken in full (replayed on a fresh
 * socket); a reply that already played audio must fail rather than be spoken twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { ElevenLabsTTSProvider } from '../../src/providers/elevenlabs/index.js';
import { GradiumTTSProvider } from '../../src/providers/gradium/index.js';
import { FakeElevenLabsTTSServer, FakeGradiumTTSServer } from '../../src/testing/fake-speech/index.js';
import type { TTSProvider } from '../../src/voice/types.js';

const TEXT = 'Your table for two is booked for eight tonight.';

interface Vendor {
  name: string;
  start(opts: {
    dropIdleAfterMs?: number;
    chunkIntervalMs?: number;
  }): Promise<FakeGradiumTTSServer | FakeElevenLabsTTSServer>;
  provider(fake: FakeGradiumTTSServer | FakeElevenLabsTTSServer): TTSProvider;
}

const vendors: Vendor[] = [
  {
    name: 'Gradium',
    start: (opts) => new FakeGradiumTTSServer(opts).start(),
    provider: (fake) =>
      new GradiumTTSProvider({ apiKey: 'test-key', endpoint: (fake as FakeGradiumTTSServer).endpoint }),
  },
  {
    name: 'ElevenLabs',
    start: (opts) => new FakeElevenLabsTTSServer(opts).start(),
    provider: (fake) => new ElevenLabsTTSProvider({ apiKey: 'test-key', baseUrl: fake.wsUrl, voiceId: 'v1' }),
  },
];

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

for (const vendor of vendors) {
  describe(`${vendor.name} TTS over a socket the vendor drops`, () => {
    let fake: FakeGradiumTTSServer | FakeElevenLabsTTSServer;
    let tts: TTSProvider;
    afterEach(async () => {
      await tts?.close?.();
      await fake?.close();
    });

    it('the vendor drops the idle socket: the next reply is spoken in full on a new one', async () => {
      fake = await vendor.start({ dropIdleAfterMs: 150 });
      tts = vendor.provider(fake);
      const full = (await tts.synthesize(TEXT)).data.byteLength;
      await until(() => fake.openConnections.length === 0, 'idle drop');
      // Straight after the drop: the client may or may not have seen the socket close yet.
      expect((await tts.synthesize(TEXT)).data.byteLength).toBe(full);
      expect(fake.connections.length).toBe(2);
    });

    it('a reply that already played audio fails when the socket drops, and is not spoken twice', async () => {
      fake = await vendor.start({ chunkIntervalMs: 40 });
      tts = vendor.provider(fake);
      let chunks = 0;
      const err = await (async () => {
        for await (const _ of tts.synthesizeStream(TEXT)) {
          chunks += 1;
          if (chunks === 1) fake.dropAll();
        }
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).message).toMatch(/connection closed \(1006\)/);
      expect(fake.connections.length).toBe(1);
      // The next reply gets a fresh socket.
      expect((await tts.synthesize('Thanks.')).data.byteLength).toBeGreaterThan(0);
      expect(fake.connections.length).toBe(2);
    });
  });
}

describe('ElevenLabs inactivity timeout crossing a new reply', () => {
  it("the timeout error that crossed the request is not the reply's: it is replayed and spoken in full", async () => {
    const fake = await new FakeElevenLabsTTSServer({ inactivityTimeoutMs: 150 }).start();
    const tts = new ElevenLabsTTSProvider({ apiKey: 'test-key', baseUrl: fake.wsUrl, voiceId: 'v1' });
    try {
      const full = (await tts.synthesize(TEXT)).data.byteLength;
      const errorSent = () =>
        fake.connections[0].sent.some(
          (m) => !(m.data instanceof Uint8Array) && m.data.error === 'input_timeout_exceeded',
        );
      await until(errorSent, 'inactivity error');
      expect((await tts.synthesize(TEXT)).data.byteLength).toBe(full);
    } finally {
      await tts.close();
      await fake.close();
    }
  });
});
