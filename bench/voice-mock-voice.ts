/**
 * The speech of the voice benches' servers, as a `voiceModule` (each voice worker imports it):
 * mock STT and TTS, AGC and energy VAD. bench/voice-server.ts and bench/turn-burst.ts use it too.
 * The mocks keep no log of their calls (`recordCalls: false`): they stand in for remote vendors,
 * and a log of every request, promoted to the old generation, made the servers' GC the mocks'.
 */
import { MockSTTProvider, MockTTSProvider } from '../src/testing/index.js';
import { EnergyVADProvider, SimpleAGCProvider } from '../src/voice/index.js';
import { SILENCE_MS, TTS_MS_PER_CHAR } from './voice-traffic.js';

export function createVoice() {
  return {
    stt: new MockSTTProvider({ transcripts: ['tell me something'], streaming: false, recordCalls: false }),
    // Audio in 80 ms chunks, as Gradium's TTS sends it (a 20 ms chunk per loop turn made the
    // mock's own async steps a tenth of a reply's cost).
    tts: new MockTTSProvider({ msPerChar: TTS_MS_PER_CHAR, chunkMs: 80, recordCalls: false }),
    label: 'mock',
    pipeline: {
      agc: new SimpleAGCProvider({ targetLevelDbfs: -12 }),
      // 300 ms of quiet ends a turn, so a reply (348 ms) ends well before the caller's next
      // utterance (0.8 s after the last one): replies are whole, and lost frames countable.
      vad: new EnergyVADProvider({ threshold: 300, silenceMs: SILENCE_MS }),
    },
  };
}
