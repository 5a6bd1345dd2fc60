import { bytesToInt16 } from '../voice/audio/pcm.js';
import { MockVoiceBackend, type MockVoiceBackendOptions } from '../voice/backends/mock-voice-backend.js';
import type { VoiceSession } from '../voice/types.js';

/**
 * The seed's MockRealtimeTransport: an in-memory transport for RealtimeVoiceChannel tests.
 * It is a MockVoiceBackend (the channel takes any VoiceBackend as its transport), so it has
 * `sentAudio` (PCM bytes per session id, chunk by chunk), the `calls` log, and the
 * `simulate*` helpers: `simulateAudioReceived` feeds caller audio, `simulateSessionReady`
 * announces a connection the channel adopts on its own.
 */
export class MockRealtimeTransport extends MockVoiceBackend {
  constructor(options: MockVoiceBackendOptions = {}) {
    super(options);
  }

  /** Samples sent to a session, concatenated. */
  sentPcm(session: VoiceSession): Int16Array {
    const bytes = this.sentBytes(session);
    return bytesToInt16(bytes.subarray(0, bytes.byteLength & ~1));
  }

  /** Milliseconds of audio sent to a session. */
  sentMs(session: VoiceSession): number {
    return (this.sentPcm(session).length / this.sampleRateFor(session)) * 1000;
  }
}
