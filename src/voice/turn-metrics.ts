import type { TurnMetrics } from './voice-hooks.js';

/**
 * One turn's timeline, measured from the moment the user stopped speaking: final
 * transcript, first AI token, first TTS audio, first frame handed to the transport.
 */
export class TurnClock {
  /** `performance.now()` when the user stopped speaking. */
  readonly userStopAt: number;
  readonly metrics: TurnMetrics = {};
  /** The room event the turn's transcript became ('' when it became none); set once it is known. */
  eventId?: string;
  /** Written to OpenTelemetry already (once complete and its event known). */
  traced = false;

  constructor(userStopAt = performance.now()) {
    this.userStopAt = userStopAt;
  }

  mark(name: keyof TurnMetrics): boolean {
    if (this.metrics[name] !== undefined) return false;
    this.metrics[name] = performance.now() - this.userStopAt;
    return true;
  }

  get complete(): boolean {
    return this.metrics.firstFrameSentMs !== undefined;
  }
}

export const METRIC_NAMES: Record<keyof TurnMetrics, string> = {
  transcriptFinalMs: 'voice.user_stop_to_transcript_final',
  firstTokenMs: 'voice.user_stop_to_first_token',
  firstTtsAudioMs: 'voice.user_stop_to_first_tts_audio',
  firstFrameSentMs: 'voice.user_stop_to_first_frame_sent',
};
