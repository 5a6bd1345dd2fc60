import type { TranscriptionResult, TranscriptionWord } from '../../voice/types.js';
import { AudioTimeline } from '../shared/audio-timeline.js';

/** Where a session's audio sits on the stream timeline (see GradiumSttSession). */
export interface SessionPlacement {
  offsetFrame: number;
  acceptFromFrame: number;
  replayedUntilFrame: number;
}

/** Timestamps from two sessions for the same word may differ by a frame; words are further apart. */
const SAME_WORD_S = 0.1;
const EPS = 1e-3;

/**
 * The words of the current user turn, in stream time. It is also where session switches
 * are made seamless: text a session reports for audio an earlier session already covered
 * is dropped, so replayed audio never duplicates words.
 */
export class TurnTranscript {
  readonly words: TranscriptionWord[] = [];
  private lastAcceptedStartS = Number.NEGATIVE_INFINITY;
  private lastWordFrom?: SessionPlacement;

  /** Offers a `text` segment; returns false when it repeats covered audio. */
  offer(from: SessionPlacement, text: string, startS: number): boolean {
    const frameS = AudioTimeline.FRAME_S;
    const absS = from.offsetFrame * frameS + startS;
    if (absS < from.acceptFromFrame * frameS - EPS) return false;
    if (absS < from.replayedUntilFrame * frameS && absS <= this.lastAcceptedStartS + SAME_WORD_S)
      return false;
    const word = text.trim();
    if (!word) return false;
    this.lastAcceptedStartS = Math.max(this.lastAcceptedStartS, absS);
    this.words.push({ word, startMs: Math.round(absS * 1000) });
    this.lastWordFrom = from;
    return true;
  }

  /** `end_text`: the end time of the segment the same session sent last. */
  endText(from: SessionPlacement, stopS: number): void {
    const last = this.words[this.words.length - 1];
    if (!last || this.lastWordFrom !== from || last.endMs !== undefined) return;
    last.endMs = Math.round((from.offsetFrame * AudioTimeline.FRAME_S + stopS) * 1000);
  }

  get text(): string {
    return this.words.map((w) => w.word).join(' ');
  }

  get isEmpty(): boolean {
    return this.words.length === 0;
  }

  result(isFinal: boolean, language?: string): TranscriptionResult {
    return { text: this.text, isFinal, language, words: this.words.map((w) => ({ ...w })) };
  }

  /** Starts a new turn (the dedupe memory is kept: it is about the stream, not the turn). */
  reset(): void {
    this.words.length = 0;
    this.lastWordFrom = undefined;
  }
}
