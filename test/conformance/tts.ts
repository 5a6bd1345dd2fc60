import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk, TTSProvider } from '../../src/voice/types.js';
import { itemsAfterAbort } from './abort.js';

/**
 * The TTS conformance suite, run by every TTSProvider with its own factory and text.
 * `text` should hold at least two sentences so streaming input can be checked: audio for
 * the first sentence must arrive before the last token is handed over.
 */
export interface TTSConformanceSetup {
  name: string;
  create: () => TTSProvider | Promise<TTSProvider>;
  /** Two sentences or more, e.g. 'Hello there. How can I help you today?'. */
  text: string;
  /** How the text arrives as LLM tokens (default: word by word with their spaces). */
  tokens?: (text: string) => string[];
  /** How long the token source waits for audio before giving up on "audio before the last token" (default 5 s). */
  firstAudioWaitMs?: number;
  beforeAll?: () => Promise<void>;
  afterAll?: () => Promise<void>;
  /**
   * For providers that keep a socket between replies: the vendor drops every open socket
   * now, without a close frame (the fake's `dropAll`).
   */
  dropSockets?: () => void;
}

const defaultTokens = (text: string) => text.match(/\S+\s*/g) ?? [];

function checkChunk(chunk: AudioChunk, tts: TTSProvider): void {
  expect(chunk.data).toBeInstanceOf(Uint8Array);
  expect(chunk.sampleRate).toBe(tts.capabilities.sampleRate);
  expect(chunk.channels).toBe(1);
  if (chunk.format === 'pcm_s16le') expect(chunk.data.byteLength % 2).toBe(0);
}

export function describeTTSConformance(setup: TTSConformanceSetup): void {
  const tokensOf = setup.tokens ?? defaultTokens;

  describe(`TTS conformance: ${setup.name}`, () => {
    if (setup.beforeAll) beforeAll(setup.beforeAll);
    if (setup.afterAll) afterAll(setup.afterAll);

    it('declares a name and an output rate', async () => {
      const tts = await setup.create();
      expect(tts.name).toMatch(/\S/);
      expect(Number.isInteger(tts.capabilities.sampleRate)).toBe(true);
      expect(tts.capabilities.sampleRate).toBeGreaterThan(0);
      await tts.close?.();
    });

    it('synthesizes a whole text at the declared rate', async () => {
      const tts = await setup.create();
      const chunk = await tts.synthesize(setup.text);
      checkChunk(chunk, tts);
      expect(chunk.data.byteLength).toBeGreaterThan(0);
      await tts.close?.();
    });

    it('streams audio chunks for a text', async () => {
      const tts = await setup.create();
      let bytes = 0;
      let chunks = 0;
      for await (const chunk of tts.synthesizeStream(setup.text)) {
        checkChunk(chunk, tts);
        bytes += chunk.data.byteLength;
        chunks++;
      }
      expect(chunks).toBeGreaterThan(0);
      expect(bytes).toBeGreaterThan(0);
      await tts.close?.();
    });

    it('voices streamed tokens, starting before the last token when it streams input', async () => {
      const tts = await setup.create();
      const tokens = tokensOf(setup.text);
      let audioSeen!: () => void;
      const firstAudio = new Promise<void>((r) => (audioSeen = r));
      let audioBeforeLastToken = false;
      async function* llm(): AsyncGenerator<string> {
        for (const [i, token] of tokens.entries()) {
          if (i === tokens.length - 1) {
            const waited = await Promise.race([
              firstAudio.then(() => true),
              new Promise<boolean>((r) => setTimeout(() => r(false), setup.firstAudioWaitMs ?? 5_000)),
            ]);
            audioBeforeLastToken = waited;
          }
          yield token;
        }
      }
      let bytes = 0;
      for await (const chunk of tts.synthesizeStreamInput(llm())) {
        checkChunk(chunk, tts);
        bytes += chunk.data.byteLength;
        audioSeen();
      }
      expect(bytes).toBeGreaterThan(0);
      if (tts.capabilities.streamingInput) expect(audioBeforeLastToken).toBe(true);
      await tts.close?.();
    });

    it('stops yielding the moment the signal aborts', async () => {
      const tts = await setup.create();
      const controller = new AbortController();
      const long = Array.from({ length: 6 }, () => setup.text).join(' ');
      expect(
        await itemsAfterAbort(tts.synthesizeStream(long, { signal: controller.signal }), controller),
      ).toBe(0);
      await tts.close?.();
    });

    if (setup.dropSockets) {
      const drop = setup.dropSockets;
      it('regression: a reply asked right after the vendor dropped the idle socket is spoken in full, 10/10', async () => {
        const tts = await setup.create();
        const full = (await tts.synthesize(setup.text)).data.byteLength;
        for (let i = 0; i < 10; i++) {
          drop(); // the client has not seen the close yet when the next reply goes out
          const again = await tts.synthesize(setup.text);
          expect(again.data.byteLength).toBe(full);
        }
        await tts.close?.();
      });
    }

    it('yields nothing when the signal is already aborted', async () => {
      const tts = await setup.create();
      const controller = new AbortController();
      controller.abort();
      let chunks = 0;
      try {
        for await (const _ of tts.synthesizeStream(setup.text, { signal: controller.signal })) chunks++;
      } catch (err) {
        expect((err as Error).name).toMatch(/Abort/);
      }
      expect(chunks).toBe(0);
      await tts.close?.();
    });
  });
}
