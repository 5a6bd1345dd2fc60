import { AsyncQueue } from '../providers/shared/async-queue.js';
import { cloneAudioFrame } from './audio/frames.js';
import type { AudioFrame, STTProvider } from './types.js';
import type { VoiceSessionRuntime } from './voice-session-runtime.js';

/** Audio kept from before the VAD's speech start: it needs ~100 ms of speech to decide. */
const LOOKBACK_MS = 400;

interface Interim {
  feed: AsyncQueue<AudioFrame>;
  controller: AbortController;
}

/**
 * Words while the caller is still talking, for strategies that count them (after_words),
 * in VAD turn taking. There the turn's transcript comes from one batch call once the
 * utterance has ended: too late to interrupt on words. So while the agent speaks and the
 * VAD starts an utterance, a streaming STT that gives partials transcribes it as it goes
 * (from a little before the start), and each partial reaches the strategy. The turn itself
 * still comes from the batch call.
 */
export class InterimTranscripts {
  private readonly running = new Map<VoiceSessionRuntime, Interim>();
  private readonly recent = new Map<VoiceSessionRuntime, AudioFrame[]>();

  constructor(
    private readonly stt: STTProvider,
    private readonly onTranscript: (rt: VoiceSessionRuntime, text: string, isFinal: boolean) => void,
    private readonly onError: (rt: VoiceSessionRuntime, error: unknown) => void,
  ) {}

  private wanted(rt: VoiceSessionRuntime): boolean {
    const { streaming, partials } = this.stt.capabilities;
    return streaming && partials && rt.strategy.usesTranscripts === true;
  }

  /** Every frame the call hears (processed by the pipeline; copied when kept). */
  push(rt: VoiceSessionRuntime, frame: AudioFrame): void {
    if (!this.wanted(rt)) return;
    const running = this.running.get(rt);
    if (running) {
      running.feed.push(cloneAudioFrame(frame));
      return;
    }
    let recent = this.recent.get(rt);
    if (!recent) this.recent.set(rt, (recent = []));
    recent.push(cloneAudioFrame(frame));
    let kept = recent.reduce((ms, f) => ms + durationMs(f), 0);
    while (recent.length > 1 && kept - durationMs(recent[0]) >= LOOKBACK_MS)
      kept -= durationMs(recent.shift()!);
  }

  /** The VAD started an utterance while the agent speaks. */
  start(rt: VoiceSessionRuntime): void {
    if (!this.wanted(rt) || this.running.has(rt)) return;
    const interim: Interim = { feed: new AsyncQueue<AudioFrame>(), controller: new AbortController() };
    for (const frame of this.recent.get(rt) ?? []) interim.feed.push(frame);
    this.recent.delete(rt);
    this.running.set(rt, interim);
    void this.run(rt, interim);
  }

  /** The utterance ended (its turn comes from the batch call): stop transcribing it. */
  stop(rt: VoiceSessionRuntime): void {
    const interim = this.running.get(rt);
    if (!interim) return;
    this.running.delete(rt);
    interim.feed.end();
  }

  /** The session ended. */
  close(rt: VoiceSessionRuntime): void {
    const interim = this.running.get(rt);
    this.running.delete(rt);
    this.recent.delete(rt);
    interim?.feed.end();
    interim?.controller.abort();
  }

  private async run(rt: VoiceSessionRuntime, interim: Interim): Promise<void> {
    try {
      for await (const event of this.stt.transcribeStream(interim.feed, {
        signal: interim.controller.signal,
      })) {
        if (this.running.get(rt) !== interim) break; // the utterance is over
        if (event.type === 'partial') this.onTranscript(rt, event.result.text, false);
        else if (event.type === 'final') this.onTranscript(rt, event.result.text, true);
      }
    } catch (error) {
      if (!interim.controller.signal.aborted) this.onError(rt, error);
    }
  }
}

function durationMs(frame: AudioFrame): number {
  return (frame.data.length * 1000) / frame.sampleRate;
}
