import { RoomKitError, ValidationError } from '../../core/errors.js';
import { type AudioSource, defineLazyAudio, hasLazyAudio, type LentAudio } from './lazy-audio.js';
import { VADEventType, type VADEvent } from './stages.js';

export interface SpeechSegmenterOptions {
  /** Speech must last this long before SPEECH_START (filters clicks). Default 100 ms. */
  minSpeechMs?: number;
  /** This much silence ends an utterance. Default 500 ms. */
  silenceMs?: number;
  /** Audio kept from before the start, so the first syllable is not cut. Default 300 ms. */
  prerollMs?: number;
  /** An utterance is cut here even without silence (bounds memory). Default 60 s. */
  maxSpeechMs?: number;
}

/**
 * Turns a per-frame speech/non-speech decision into utterances. Shared by every VAD so
 * they only differ in how they classify a frame. Buffers are allocated once and grown
 * rarely, and the utterance buffer is reused from one utterance to the next.
 *
 * The SPEECH_END audio is copied out of it when first read, so whoever reads it owns what
 * they got. Reading is what a turn does once the turn scheduler lets it run, so a thousand
 * callers who stop together do not copy a thousand utterances in one turn of the event loop,
 * and a reader that does not keep the copy lets it die young. (A new buffer per utterance,
 * the design before, lived as long as the utterance: promoted to the old generation, 64 KB
 * of it each time, it made V8 run a full mark-compact about every half second at 300
 * calls.) An event nobody read that is still alive when the next utterance starts gets its
 * copy then; one already collected needs none.
 *
 * Liveness is asked of a WeakRef only once the job that made the event has ended. Within it,
 * ECMAScript keeps a WeakRef's target alive whatever else holds it, so a caller that feeds a
 * whole recording in one synchronous loop would keep every utterance's copy till the loop
 * ends (64 KB each, and GCs forced by that memory: 200-300 us per utterance). There the last
 * event is held strongly instead and copied at the next utterance, a copy that dies with the
 * event.
 */
export class SpeechSegmenter {
  private readonly minSpeech: number;
  private readonly silence: number;
  private readonly preroll: number;
  private readonly maxSpeech: number;
  private readonly history: Int16Array; // ring of recent audio while idle
  private historyWrite = 0;
  private historyFill = 0;
  private utterance: Int16Array;
  private utteranceLength = 0;
  /** The last SPEECH_END's audio, until the next utterance writes over it: held strongly
   * while the job that made it runs, weakly after (see the class comment). */
  private handedOver: HandedOverAudio | WeakRef<HandedOverAudio> | undefined;
  private readonly holdWeakly = () => {
    if (this.handedOver instanceof HandedOverAudio) this.handedOver = new WeakRef(this.handedOver);
  };
  /** A borrower gave the last SPEECH_END's audio back: nothing of it is left to hand over. */
  private readonly givenBack = (audio: HandedOverAudio) => {
    const last = this.handedOver;
    if ((last instanceof WeakRef ? last.deref() : last) === audio) this.handedOver = undefined;
  };
  private speechRun = 0;
  private silenceRun = 0;
  private speaking = false;

  constructor(
    private readonly sampleRate: number,
    opts: SpeechSegmenterOptions = {},
  ) {
    const ms = (v: number | undefined, fallback: number, name: string) => {
      const value = v ?? fallback;
      if (!Number.isFinite(value) || value < 0)
        throw new ValidationError(`${name} must be >= 0, got ${value}`);
      return Math.round((value * sampleRate) / 1000);
    };
    this.minSpeech = ms(opts.minSpeechMs, 100, 'minSpeechMs');
    this.silence = Math.max(1, ms(opts.silenceMs, 500, 'silenceMs'));
    this.preroll = ms(opts.prerollMs, 300, 'prerollMs');
    this.maxSpeech = ms(opts.maxSpeechMs, 60_000, 'maxSpeechMs');
    this.history = new Int16Array(Math.max(1, this.preroll + this.minSpeech));
    this.utterance = new Int16Array(this.initialCapacity());
  }

  /** A new utterance buffer's length: 2 s, or less when utterances are capped shorter. */
  private initialCapacity(): number {
    return Math.max(1, Math.min(this.sampleRate * 2, this.maxSpeech + this.preroll + this.minSpeech));
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Feeds one classified frame; returns an event on a state change. */
  update(samples: Int16Array, isSpeech: boolean, confidence?: number): VADEvent | null {
    const n = samples.length;
    if (!this.speaking) {
      this.remember(samples);
      this.speechRun = isSpeech ? this.speechRun + n : 0;
      if (!isSpeech || this.speechRun < this.minSpeech) return null;
      this.startUtterance();
      return confidence === undefined
        ? { type: VADEventType.SPEECH_START }
        : { type: VADEventType.SPEECH_START, confidence };
    }
    this.append(samples);
    this.silenceRun = isSpeech ? 0 : this.silenceRun + n;
    if (this.silenceRun < this.silence && this.utteranceLength < this.maxSpeech) return null;
    return this.endUtterance();
  }

  reset(): void {
    this.speaking = false;
    this.historyFill = 0;
    this.historyWrite = 0;
    this.speechRun = 0;
    this.silenceRun = 0;
    this.utteranceLength = 0;
  }

  private remember(samples: Int16Array): void {
    const ring = this.history;
    const cap = ring.length;
    const n = samples.length;
    // Only the newest `cap` samples can matter.
    const from = n > cap ? n - cap : 0;
    let w = this.historyWrite;
    if (from === 0 && w + n < cap) {
      ring.set(samples, w); // the common case: one memcpy
      w += n;
    } else {
      for (let i = from; i < n; i++) {
        ring[w] = samples[i];
        w = w + 1 === cap ? 0 : w + 1;
      }
    }
    this.historyWrite = w;
    this.historyFill = Math.min(cap, this.historyFill + n - from);
  }

  private startUtterance(): void {
    // The buffer is about to be written over: an unread SPEECH_END still alive takes its copy,
    // unless the buffer is lent out: then it is the borrower's, and this utterance gets another.
    const last = this.handedOver;
    const held = last instanceof WeakRef ? last.deref() : last;
    if (held?.isLent) this.utterance = new Int16Array(this.utterance.length);
    else held?.detach();
    this.handedOver = undefined;
    this.speaking = true;
    this.silenceRun = 0;
    // The speech run plus the pre-roll before it, oldest first.
    const keep = Math.min(this.historyFill, this.preroll + this.speechRun);
    this.utteranceLength = 0;
    this.reserve(keep);
    const ring = this.history;
    const cap = ring.length;
    // The ring's oldest `keep` samples in at most two copies (callers who start together
    // do this together: sample by sample it was most of the frame's cost).
    const from = (this.historyWrite - keep + cap) % cap;
    const first = Math.min(keep, cap - from);
    this.utterance.set(ring.subarray(from, from + first), 0);
    if (first < keep) this.utterance.set(ring.subarray(0, keep - first), first);
    this.utteranceLength = keep;
    this.historyFill = 0;
  }

  private append(samples: Int16Array): void {
    this.reserve(this.utteranceLength + samples.length);
    this.utterance.set(samples, this.utteranceLength);
    this.utteranceLength += samples.length;
  }

  private endUtterance(): VADEvent {
    const held = new HandedOverAudio(this.utterance.subarray(0, this.utteranceLength), this.givenBack);
    this.handedOver = held;
    queueMicrotask(this.holdWeakly);
    const durationMs = (this.utteranceLength / this.sampleRate) * 1000;
    const bySilence = this.silenceRun >= this.silence;
    const silenceMs = (this.silenceRun / this.sampleRate) * 1000;
    this.speaking = false;
    this.speechRun = 0;
    this.silenceRun = 0;
    this.utteranceLength = 0;
    const event: VADEvent = defineLazyAudio({ type: VADEventType.SPEECH_END, durationMs }, held);
    if (bySilence) event.silenceMs = silenceMs;
    return event;
  }

  private reserve(length: number): void {
    if (length <= this.utterance.length) return;
    const grown = new Int16Array(Math.max(length, this.utterance.length * 2, this.initialCapacity()));
    grown.set(this.utterance.subarray(0, this.utteranceLength));
    this.utterance = grown;
  }
}

/** Whether a SPEECH_END carries audio, without reading a segmenter's (which copies it). */
export function carriesAudio(event: VADEvent): boolean {
  if (event.type !== VADEventType.SPEECH_END) return false;
  return hasLazyAudio(event) || event.audio !== undefined;
}

/**
 * One utterance's audio, read out of the segmenter's buffer into a copy of its own, or lent
 * without one: a VoiceChannel's turn borrows it for its STT call and gives it back, and
 * then the segmenter forgets it. At 300 utterances a second (600 callers) the copies were
 * 17 MB/s of ArrayBuffers. Worse, the segmenter's WeakRef kept each hand-over alive until the
 * next utterance (V8 clears WeakRefs in mark-compacts only, never in scavenges), so the
 * hand-over was promoted, the copy made at the next utterance was promoted with it, and V8,
 * which counts the ArrayBuffer memory allocated since its last mark-compact (less what
 * scavenges freed) toward the next one, mark-compacted about once a second.
 */
class HandedOverAudio implements AudioSource {
  private copy: Int16Array | undefined;
  private lends = 0;

  constructor(
    private view: Int16Array | undefined,
    private readonly onGivenBack: (audio: HandedOverAudio) => void,
  ) {}

  /** The copy, made on first read. */
  get audio(): Int16Array {
    if (this.copy) return this.copy;
    // Neither the segmenter's buffer nor a copy: it was lent and given back.
    if (!this.view) {
      throw new RoomKitError('this utterance was lent and given back: its audio is gone', {
        code: 'audio_given_back',
      });
    }
    this.detach();
    return this.copy!;
  }

  /** Whether a borrower still reads the segmenter's buffer (it must not be written over). */
  get isLent(): boolean {
    return this.lends > 0;
  }

  lend(): LentAudio {
    const view = this.view;
    if (!view) return { audio: this.audio, release() {} };
    this.lends++;
    let out = true;
    return {
      audio: view,
      release: () => {
        if (!out) return;
        out = false;
        if (--this.lends > 0) return;
        // Given back: the buffer is the segmenter's again, for the next utterance.
        this.view = undefined;
        this.onGivenBack(this);
      },
    };
  }

  /** Copy now, before the segmenter writes over the buffer (a no-op once copied). */
  detach(): void {
    if (!this.view) return;
    this.copy = this.view.slice();
    this.view = undefined;
  }
}
