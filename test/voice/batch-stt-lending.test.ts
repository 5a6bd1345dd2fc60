/**
 * A VoiceChannel lends a batch STT the VAD's utterance buffer instead of copying the
 * utterance (issue 16: the copies were 17 MB/s of ArrayBuffers at 600 calls). The buffer is
 * reused once the call settles, and never written over while a call still reads it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { MockTTSProvider } from '../../src/testing/index.js';
import { peak } from '../../src/voice/audio/levels.js';
import { EnergyVADProvider, MockVoiceBackend, VoiceChannel } from '../../src/voice/index.js';
import type {
  AudioChunk,
  AudioFrame,
  STTProvider,
  TranscriptionResult,
  VoiceSession,
} from '../../src/voice/types.js';
import { quietFrame, silent, speechFrame, until } from './channel/helpers.js';

/** A batch STT that answers each call when the test says so, noting what it was given. */
class HeldSTT implements STTProvider {
  readonly name = 'held';
  readonly capabilities = { streaming: false, partials: false, turnDetection: false };
  readonly calls: { data: Int16Array; peakAtCall: number; answer: () => void }[] = [];
  /** The loudest sample of each call's audio, read when the call was answered. */
  readonly peaksAtAnswer: number[] = [];

  transcribe(audio: AudioFrame | AudioChunk): Promise<TranscriptionResult> {
    const data = audio.data as Int16Array;
    return new Promise((resolve) => {
      this.calls.push({
        data,
        peakAtCall: peak(data),
        answer: () => {
          this.peaksAtAnswer.push(peak(data));
          resolve({ text: '', isFinal: true });
        },
      });
    });
  }

  async *transcribeStream(): AsyncIterable<never> {}
}

let kit: RoomKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

async function call(stt: STTProvider): Promise<{ backend: MockVoiceBackend; session: VoiceSession }> {
  kit = new RoomKit({ logger: silent });
  const backend = new MockVoiceBackend();
  kit.registerChannel(
    new VoiceChannel('phone', {
      stt,
      tts: new MockTTSProvider(),
      backend,
      pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
    }),
  );
  await kit.createRoom({ roomId: 'call' });
  const session = await kit.connectVoice('call', 'caller', 'phone');
  return { backend, session };
}

/** 300 ms of a tone at `amplitude`, then the 300 ms of quiet that ends the utterance. */
async function speak(backend: MockVoiceBackend, session: VoiceSession, amplitude: number): Promise<void> {
  for (let i = 0; i < 15; i++) await backend.simulateAudioReceived(session, speechFrame(amplitude));
  for (let i = 0; i < 15; i++) await backend.simulateAudioReceived(session, quietFrame());
}

describe('a batch STT is lent the utterance', () => {
  it('reads its utterance unchanged while the caller speaks the next one', async () => {
    const stt = new HeldSTT();
    const { backend, session } = await call(stt);
    await speak(backend, session, 6000);
    await until(() => expect(stt.calls).toHaveLength(1));
    // The first call is still under way when the caller says something louder.
    await speak(backend, session, 12_000);
    await until(() => expect(stt.calls).toHaveLength(2));
    stt.calls[0]!.answer();
    stt.calls[1]!.answer();
    expect(stt.calls.map((c) => c.peakAtCall)).toEqual([6000, 12_000]);
    expect(stt.peaksAtAnswer).toEqual([6000, 12_000]);
    expect(stt.calls[1]!.data.buffer).not.toBe(stt.calls[0]!.data.buffer);
  });

  it('once a call has settled, the next utterance is written into the same memory (no copy each)', async () => {
    const stt = new HeldSTT();
    const { backend, session } = await call(stt);
    await speak(backend, session, 6000);
    await until(() => expect(stt.calls).toHaveLength(1));
    stt.calls[0]!.answer();
    await new Promise((r) => setImmediate(r)); // the call's promise settles, the loan ends
    await speak(backend, session, 12_000);
    await until(() => expect(stt.calls).toHaveLength(2));
    stt.calls[1]!.answer();
    expect(stt.calls[1]!.data.buffer).toBe(stt.calls[0]!.data.buffer);
    expect(stt.calls.map((c) => c.peakAtCall)).toEqual([6000, 12_000]);
  });
});
