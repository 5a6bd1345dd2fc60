import type { VoiceBackend } from '../backends/voice-backend.js';
import type { DiarizationResult, VoiceSession } from '../types.js';

export interface PrimarySpeakerOptions {
  /** The speaker to keep (a diarization id such as `speaker_1`). Default: the first voice heard on each session. */
  speakerId?: string;
}

/**
 * Primary-speaker mode (the seed's `set_input_gated`): on each session the first voice the
 * diarizer identifies (or `speakerId`) is the primary speaker, and while anyone else talks
 * the session's input is gated. Gated audio still flows through the pipeline, so the
 * diarizer keeps listening and un-gates the moment the primary speaker is back, but it is
 * never transcribed, never becomes a turn and never barges in. Works on any backend whose
 * `onSpeakerChange` fires (a VoiceChannel with a `diarization` stage makes it fire).
 */
export class PrimarySpeakerGate {
  private readonly primaries = new Map<string, string>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly backend: VoiceBackend,
    private readonly options: PrimarySpeakerOptions = {},
  ) {
    this.unsubscribe = [
      backend.onSpeakerChange((session, result) => this.speakerChanged(session, result)),
      backend.onClientDisconnected((session) => this.primaries.delete(session.id)),
    ];
  }

  /** The session's primary speaker, once known. */
  primaryOf(session: VoiceSession): string | undefined {
    return this.primaries.get(session.id) ?? this.options.speakerId;
  }

  /** Stops gating: listeners are removed and every session this gate closed is opened again. */
  close(): void {
    for (const off of this.unsubscribe) off();
    for (const id of this.primaries.keys()) {
      const session = this.backend.getSession(id);
      if (session) this.backend.setInputGated(session, false);
    }
    this.primaries.clear();
  }

  private speakerChanged(session: VoiceSession, result: DiarizationResult): void {
    let primary = this.primaries.get(session.id);
    if (!primary) {
      primary = this.options.speakerId ?? result.speakerId;
      this.primaries.set(session.id, primary);
    }
    this.backend.setInputGated(session, result.speakerId !== primary);
  }
}
