import { decodeFrameCode } from './speech-script.js';

/** A word a fake has heard in the audio a client sent. */
export interface HeardWord {
  code: number;
  word: string;
  /** Seconds from the start of this session's audio. */
  startS: number;
  endS: number;
  /** False while frames of this word are still arriving. */
  closed: boolean;
}

export interface FrameEvents {
  /** A word began in this frame. */
  started?: HeardWord;
  /** A word ended at the start of this frame. */
  closed?: HeardWord;
}

/**
 * The fakes' "speech recognizer": turns fixed-size frames of coded speech (see
 * speech-script.ts) into words with timestamps, and tracks silence for VAD and endpointing.
 * One instance per fake session, so state never leaks between requests.
 */
export class CodedSpeechDecoder {
  readonly words: HeardWord[] = [];
  processedS = 0;
  /** End of the last speech frame (0 before any speech). */
  lastSpeechEndS = 0;
  private current?: HeardWord;
  /** A word cut by a flush whose frames may continue: more of it is not a new word. */
  private resumable?: HeardWord;

  constructor(
    private readonly vocabulary: readonly string[],
    readonly frameS: number,
  ) {}

  get speaking(): boolean {
    return this.current !== undefined;
  }

  get silenceS(): number {
    return this.current ? 0 : this.processedS - this.lastSpeechEndS;
  }

  feedFrame(samples: Int16Array): FrameEvents {
    const code = decodeFrameCode(samples);
    const t = this.processedS;
    const events: FrameEvents = {};
    if (this.current && this.current.code !== code) {
      this.current.closed = true;
      events.closed = this.current;
      this.current = undefined;
    }
    if (this.resumable && this.resumable.code !== code) this.resumable = undefined;
    if (code !== 0) {
      if (!this.current && this.resumable) {
        this.current = this.resumable;
        this.current.closed = false;
        this.resumable = undefined;
      }
      if (!this.current) {
        this.current = {
          code,
          word: this.vocabulary[code - 1] ?? `<unk:${code}>`,
          startS: t,
          endS: t,
          closed: false,
        };
        this.words.push(this.current);
        events.started = this.current;
      }
      this.current.endS = t + this.frameS;
      this.lastSpeechEndS = t + this.frameS;
    }
    this.processedS = t + this.frameS;
    return events;
  }

  /** Ends the word in progress (flush, end of stream): it is treated as complete. */
  closeCurrent(): HeardWord | undefined {
    const w = this.current;
    if (w) w.closed = true;
    this.current = undefined;
    this.resumable = w;
    return w;
  }
}
