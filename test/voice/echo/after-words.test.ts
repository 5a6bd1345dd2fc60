/**
 * Issue 18: after_words never fired with an STT that gives no partials, and with the offline
 * pocketsphinx STT (one hypothesis for the whole call) it counted every word of the call,
 * so it cut a reply 127 ms in. It must count the current utterance's words only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoLoopBackend, runEchoLoop } from '../../../src/testing/index.js';
import { createInterruptionStrategy } from '../../../src/voice/interruption.js';
import type { ManualClock } from '../../../src/voice/pacer.js';
import { SpeexAECProvider } from '../../../src/voice/pipeline/speex-aec.js';
import type { AudioFrame, STTProvider, STTStreamEvent } from '../../../src/voice/types.js';
import { VoiceChannel } from '../../../src/voice/voice-channel.js';
import { REPLIES, SpeechCache } from './speech-fixtures.js';

describe('after_words counts the current utterance', () => {
  it('regression: a hypothesis that runs over the whole call counts only the new words', () => {
    const s = createInterruptionStrategy({ mode: 'after_words', words: 3 });
    // Earlier turns, as pocketsphinx in one stream keeps them.
    expect(s.onPartialTranscript('what time do you open')).toBe(true);
    s.onSpeechEnd();
    s.reset(); // the agent answers
    expect(s.onPartialTranscript('what time do you open on')).toBe(false);
    expect(s.onPartialTranscript('what time do you open on sunday')).toBe(false);
    expect(s.onPartialTranscript('what time do you open on sunday please')).toBe(true);
  });

  it('a hypothesis that starts over counts from zero, and revisions of its last words are not new words', () => {
    const s = createInterruptionStrategy({ mode: 'after_words', words: 3 });
    s.onPartialTranscript('hello there');
    s.onSpeechEnd();
    expect(s.onPartialTranscript('stop')).toBe(false); // a fresh hypothesis: 1 word
    s.onSpeechEnd();
    expect(s.onPartialTranscript('stop please')).toBe(false); // the same running hypothesis: 1 new word
  });

  it('regression: with an STT that gives no partials it counts the final transcript', () => {
    const s = createInterruptionStrategy({ mode: 'after_words', words: 3 });
    s.onSpeechEnd();
    expect(s.onFinalTranscript?.('uh huh')).toBe(false);
    s.onSpeechEnd();
    expect(s.onFinalTranscript?.('wait I have a question')).toBe(true);
  });

  it('finals of one utterance add up; the next utterance starts from zero', () => {
    const s = createInterruptionStrategy({ mode: 'after_words', words: 4 });
    expect(s.onFinalTranscript?.('wait')).toBe(false);
    expect(s.onPartialTranscript('I have')).toBe(false);
    expect(s.onFinalTranscript?.('I have a')).toBe(true);
    s.onSpeechEnd();
    expect(s.onFinalTranscript?.('yes')).toBe(false);
  });
});

/**
 * A streaming STT with partials but no turn detection (like pocketsphinx), so the channel
 * takes turns on its VAD: it "recognises" one word per 100 ms of audio it is given.
 */
class WordPerTenthSTT implements STTProvider {
  readonly name = 'word-per-tenth';
  readonly capabilities = { streaming: true, partials: true, turnDetection: false };
  streams = 0;
  async transcribe() {
    return { text: 'wait I have a question', isFinal: true };
  }
  async *transcribeStream(audio: AsyncIterable<AudioFrame>): AsyncIterable<STTStreamEvent> {
    this.streams++;
    let ms = 0;
    const words = ['wait', 'I', 'have', 'a', 'question'];
    for await (const frame of audio) {
      const before = Math.floor(ms / 100);
      ms += (frame.data.length * 1000) / frame.sampleRate;
      const n = Math.min(words.length, Math.floor(ms / 100));
      if (n > before)
        yield { type: 'partial', result: { text: words.slice(0, n).join(' '), isFinal: false } };
    }
    yield { type: 'final', result: { text: words.join(' '), isFinal: true } };
  }
}

describe('after_words in VAD turn taking (the STT streams the utterance for its partials)', () => {
  let speech: SpeechCache;
  beforeAll(async () => {
    speech = new SpeechCache();
    await speech.warm();
  }, 60_000);
  afterAll(() => speech?.dispose());

  it('interrupts while the caller is still talking, and never on the echo', async () => {
    const stt = new WordPerTenthSTT();
    const caller = await speech.interruption(0);
    const report = await runEchoLoop({
      loop: { delayMs: 120, gainDb: -6, noiseDbfs: -50 },
      replies: REPLIES.slice(0, 3),
      caller: { speech: (i) => (i === 2 ? caller : undefined), afterMs: 2000 },
      channel: (backend: EchoLoopBackend, clock: ManualClock) =>
        new VoiceChannel('phone', {
          stt,
          tts: speech.tts(),
          backend,
          clock,
          interruption: { mode: 'after_words', words: 3 },
          pipeline: { aec: new SpeexAECProvider() },
        }),
    });
    expect(report.selfInterruptions).toBe(0);
    expect(report.bargeInsDetected).toBe(1);
    // Three "words" take 300 ms of streamed speech: well before the 2.7 s utterance ends.
    expect(report.latencyMs!.max).toBeLessThan(1000);
    // Streams were opened only for speech over a reply (the caller's), not for the echo.
    expect(stt.streams).toBe(1);
  }, 60_000);
});
