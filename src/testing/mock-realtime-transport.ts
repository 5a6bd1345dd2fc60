import { bytesToInt16 } from '../voice/audio/pcm.js';
import { MockVoiceBackend, type MockVoiceBackendOptions } from '../voice/backends/mock-voice-backend.js';
import type { AudioFrame, VoiceSession } from '../voice/types.js';

/**
 * The seed's MockRealtimeTransport: an in-memory transport for RealtimeVoiceChannel tests.
 * It is a MockVoiceBackend (the channel takes any VoiceBackend as its transport), so it has
 * `sentAudio` (every chunk sent, in order: `{ sessionId, data }`), the `calls` log, and the
 * `simulate*` helpers. Sessions may be given as the transport's own or as the channel's
 * session from `startSession` (they share the id).
 */
export class MockRealtimeTransport extends MockVoiceBackend {
  constructor(options: MockVoiceBackendOptions = {}) {
    super(options);
  }

  /** The seed's name: caller audio arrives (PCM s16le bytes, samples or a frame). */
  simulateClientAudio(session: VoiceSession, audio: Uint8Array | Int16Array | AudioFrame): Promise<void> {
    return this.simulateAudioReceived(session, audio);
  }

  /** The seed's name: the caller hung up. */
  simulateClientDisconnect(session: VoiceSession): Promise<void> {
    return this.simulateClientDisconnected(session);
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
