/**
 * Barge-in as a strategy object: when the user talks over the assistant, decide whether
 * (and when) to stop playback. The channel feeds it speech and transcript signals while
 * audio is playing; `shouldInterrupt` answers true once.
 */
export interface InterruptionStrategy {
  readonly name: string;
  /** Playback started: forget the previous response's state. */
  reset(): void;
  /** User speech detected while playing (VAD, provider speech-start or backend barge-in). */
  onSpeechStart(nowMs: number): boolean;
  /** Another inbound frame while the user keeps speaking. */
  onSpeechContinues(nowMs: number): boolean;
  /** A partial transcript of what the user is saying over the playback. */
  onPartialTranscript(text: string): boolean;
  onSpeechEnd(): void;
}

export type InterruptionConfig =
  | { mode: 'disabled' }
  | { mode: 'immediate' }
  /** Interrupt once the user has spoken this long over the playback. */
  | { mode: 'after_ms'; ms: number }
  /** Interrupt once a partial transcript over the playback has this many words. */
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
  constructor(private readonly words: number) {
    super();
  }
  override onPartialTranscript(text: string): boolean {
    return text.trim().split(/\s+/).filter(Boolean).length >= this.words;
  }
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
