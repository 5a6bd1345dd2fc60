/**
 * Barge-in as a strategy object: when the user talks over the assistant, decide whether
 * (and when) to stop playback. The channel feeds it speech and transcript signals while
 * audio is playing; a method returning true means "interrupt now".
 *
 * What it is fed is already echo-aware: with an AEC stage, the pipeline lets input through
 * (to the VAD, the STT and so to every strategy) only when it rises clearly above the echo
 * expected from what the agent is playing (see `src/voice/echo/`).
 */
export interface InterruptionStrategy {
  readonly name: string;
  /** Playback started: forget the previous response's state. */
  reset(): void;
  /** User speech detected while playing (VAD, provider speech-start or backend barge-in). */
  onSpeechStart(nowMs: number): boolean;
  /** Another inbound frame while the user keeps speaking. */
  onSpeechContinues(nowMs: number): boolean;
  /** A partial transcript of what the user is saying (the STT's current hypothesis). */
  onPartialTranscript(text: string): boolean;
  /**
   * A final transcript of (part of) the user's current utterance: a streaming STT's final
   * segment, or the batch STT's result for the utterance that just ended.
   */
  onFinalTranscript?(text: string): boolean;
  /** The user's utterance ended (VAD speech end, or the STT's end of turn). */
  onSpeechEnd(): void;
  /**
   * It decides on words: in VAD turn taking the channel then streams an utterance that
   * starts over the agent's speech to the STT (when it gives partials), to feed it words
   * before the utterance ends.
   */
  readonly usesTranscripts?: boolean;
}

export type InterruptionConfig =
  | { mode: 'disabled' }
  | { mode: 'immediate' }
  /** Interrupt once the user has spoken this long over the playback. */
  | { mode: 'after_ms'; ms: number }
  /**
   * Interrupt once the user's current utterance has this many words over the playback:
   * counted on partial transcripts as they come, and on the final transcript for STTs that
   * give none (in VAD turn taking, the batch result of the utterance).
   */
  | { mode: 'after_words'; words: number };

class Disabled implements InterruptionStrategy {
  readonly name: string = 'disabled';
  reset(): void {}
  onSpeechStart(_nowMs: number): boolean {
    return false;
  }
  onSpeechContinues(_nowMs: number): boolean {
    return false;
  }
  onPartialTranscript(_text: string): boolean {
    return false;
  }
  onFinalTranscript(_text: string): boolean {
    return false;
  }
  onSpeechEnd(): void {}
}

class Immediate extends Disabled {
  override readonly name = 'immediate';
  override onSpeechStart(): boolean {
    return true;
  }
}

class AfterMs extends Disabled {
  override readonly name = 'after_ms';
  private startedAt: number | undefined;
  constructor(private readonly ms: number) {
    super();
  }
  override reset(): void {
    this.startedAt = undefined;
  }
  override onSpeechStart(nowMs: number): boolean {
    this.startedAt ??= nowMs;
    return this.ms <= 0;
  }
  override onSpeechContinues(nowMs: number): boolean {
    return this.startedAt !== undefined && nowMs - this.startedAt >= this.ms;
  }
  override onSpeechEnd(): void {
    this.startedAt = undefined;
  }
}

class AfterWords extends Disabled {
  override readonly name = 'after_words';
  readonly usesTranscripts = true;
  /** Words of the STT's hypothesis that belong to earlier utterances or replies. */
  private before: string[] = [];
  /** The STT's latest hypothesis. */
  private heard: string[] = [];
  /** Words of this utterance already finalised (STTs that finalise segment by segment). */
  private finalised = 0;

  constructor(private readonly words: number) {
    super();
  }

  override reset(): void {
    this.endUtterance();
  }

  override onSpeechEnd(): void {
    this.endUtterance();
  }

  override onPartialTranscript(text: string): boolean {
    this.heard = wordsOf(text);
    return this.finalised + this.newWords(this.heard) >= this.words;
  }

  override onFinalTranscript(text: string): boolean {
    this.finalised += this.newWords(wordsOf(text));
    // After a final the STT starts a new hypothesis.
    this.before = [];
    this.heard = [];
    return this.finalised >= this.words;
  }

  /**
   * Some STTs (pocketsphinx in one long stream) never reset their hypothesis, so it holds
   * the whole call: only the words past what was heard before this utterance count.
   */
  private newWords(words: string[]): number {
    const before = this.before;
    if (before.length === 0) return words.length;
    let same = 0;
    while (same < before.length && same < words.length && words[same] === before[same]) same++;
    // Mostly the same start: the same running hypothesis (its last words may be revised).
    const cumulative = same >= Math.ceil(before.length * 0.8);
    return cumulative ? Math.max(0, words.length - before.length) : words.length;
  }

  private endUtterance(): void {
    this.before = this.heard;
    this.finalised = 0;
  }
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

export function createInterruptionStrategy(
  config: InterruptionConfig | InterruptionStrategy = { mode: 'immediate' },
): InterruptionStrategy {
  if ('name' in config) return config;
  switch (config.mode) {
    case 'disabled':
      return new Disabled();
    case 'immediate':
      return new Immediate();
    case 'after_ms':
      return new AfterMs(config.ms);
    case 'after_words':
      return new AfterWords(config.words);
  }
}
