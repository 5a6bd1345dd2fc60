/**
 * Real speech for the echo tests and bench: replies in flite's `rms` voice (the agent) and
 * interruptions in other flite voices (the caller), rendered by the project's offline TTS
 * once per run and kept as WAV files in a temporary directory that `dispose()` removes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTTSProvider } from '../../../src/providers/local/index.js';
import { bytesToInt16, int16ToBytes } from '../../../src/voice/audio/pcm.js';
import { encodeWav } from '../../../src/voice/audio/wav.js';
import type { AudioChunk, TTSCapabilities, TTSOptions, TTSProvider } from '../../../src/voice/types.js';

/** About five seconds each in flite's rms voice. */
export const REPLIES = [
  'Our store opens at nine in the morning and closes at six in the evening.',
  'Your order left our warehouse yesterday and should arrive by Thursday.',
  'Today will be mostly sunny with a light breeze and about twenty degrees.',
  'I can book a table for four at seven thirty tonight, or one at eight fifteen.',
  'To reset your password, open settings, choose security, and follow the link.',
  'Your balance is two hundred and forty dollars, due on the fifteenth of the month.',
  'The train to the city center leaves every twenty minutes from platform three.',
  'We have the blue jacket in medium and large, and the black one in every size.',
  'Your appointment with doctor Martin is confirmed for Tuesday morning at ten.',
  'The package includes a charger, a protective case, and a quick start guide.',
];

/** What the caller says over a reply, alternating two other voices. */
export const INTERRUPTIONS = [
  { voice: 'slt', text: 'Wait, I have a question about my order.' },
  { voice: 'awb', text: 'Sorry, can you repeat that please?' },
];

const RATE = 16_000;

export class SpeechCache {
  readonly dir = mkdtempSync(join(tmpdir(), 'roomkit-echo-speech-'));
  private readonly rendered = new Map<string, Int16Array>();
  private readonly engines = new Map<string, LocalTTSProvider>();

  /** `text` in a flite voice at 16 kHz (rendered on first use). */
  async speech(text: string, voice = 'rms'): Promise<Int16Array> {
    const key = `${voice}:${text}`;
    let pcm = this.rendered.get(key);
    if (!pcm) {
      let engine = this.engines.get(voice);
      if (!engine) this.engines.set(voice, (engine = new LocalTTSProvider({ engine: 'flite', voice })));
      const chunk = await engine.synthesize(text);
      pcm = bytesToInt16(chunk.data.slice());
      writeFileSync(
        join(this.dir, `${this.rendered.size}-${voice}.wav`),
        encodeWav(pcm, { sampleRate: RATE }),
      );
      this.rendered.set(key, pcm);
    }
    return pcm;
  }

  /** Renders the replies and interruptions up front, so runs are not slowed by flite. */
  async warm(): Promise<void> {
    for (const text of REPLIES) await this.speech(text);
    for (const { text, voice } of INTERRUPTIONS) await this.speech(text, voice);
  }

  interruption(reply: number): Promise<Int16Array> {
    const { text, voice } = INTERRUPTIONS[reply % INTERRUPTIONS.length];
    return this.speech(text, voice);
  }

  /** A TTS that speaks from this cache (the agent's voice), in 100 ms chunks. */
  tts(): TTSProvider {
    return new CachedTTS(this);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class CachedTTS implements TTSProvider {
  readonly name = 'flite-cached';
  readonly capabilities: TTSCapabilities = { streaming: true, streamingInput: true, sampleRate: RATE };

  constructor(private readonly cache: SpeechCache) {}

  async synthesize(text: string): Promise<AudioChunk> {
    return chunk(await this.cache.speech(text));
  }

  async *synthesizeStream(text: string, opts: TTSOptions = {}): AsyncIterable<AudioChunk> {
    const pcm = await this.cache.speech(text);
    for (let at = 0; at < pcm.length; at += RATE / 10) {
      if (opts.signal?.aborted) return;
      yield chunk(pcm.subarray(at, at + RATE / 10));
    }
  }

  async *synthesizeStreamInput(
    text: AsyncIterable<string>,
    opts: TTSOptions = {},
  ): AsyncIterable<AudioChunk> {
    let all = '';
    for await (const piece of text) all += piece;
    yield* this.synthesizeStream(all, opts);
  }
}

function chunk(pcm: Int16Array): AudioChunk {
  return { data: int16ToBytes(pcm), sampleRate: RATE, channels: 1, format: 'pcm_s16le' };
}
