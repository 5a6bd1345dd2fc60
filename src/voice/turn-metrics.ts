import type { TurnMetrics } from './voice-hooks.js';

/**
 * One turn's timeline, measured from the moment the user stopped speaking: final
 * transcript, first AI token, first TTS audio, first frame handed to the transport.
 */
export class TurnClock {
  private readonly userStopAt: number;
  readonly metrics: TurnMetrics = {};

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
