import type { TranscriptionResult, TranscriptionWord } from '../../voice/types.js';
import { LocalEngineError, LocalEngineMissingError } from './errors.js';
import {
  type PocketSphinxLibrary,
  type PocketSphinxModelOptions,
  PROVIDER_NAME,
  STT_PACKAGES,
  loadPocketSphinx,
} from './pocketsphinx-library.js';

/** pocketsphinx's front end runs at 100 frames per second. */
const FRAME_MS = 10;
/** Segment words that are not speech: silence, sentence marks, noise classes. */
const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;

/**
 * One pocketsphinx decoder: owns a native handle and one utterance at a time. Not
 * thread-safe, so callers lease it from a DecoderPool; the heavy `processRaw` runs on a
 * koffi worker thread so a long chunk never blocks the event loop.
 */
export class PocketSphinxDecoder {
  private handle: unknown;
  private inUtterance = false;

  private constructor(
    private readonly lib: PocketSphinxLibrary,
    handle: unknown,
  ) {
    this.handle = handle;
  }

  static create(model: PocketSphinxModelOptions = {}): PocketSphinxDecoder {
    const lib = loadPocketSphinx(model.libraryPath);
    let handle: unknown;
    try {
      handle = lib.createDecoder(model);
    } catch (err) {
      if (err instanceof LocalEngineMissingError) throw err;
      throw new LocalEngineError(PROVIDER_NAME, 'could not configure the decoder', err);
    }
    if (!handle)
      throw new LocalEngineMissingError(PROVIDER_NAME, 'a loadable pocketsphinx model', STT_PACKAGES);
    return new PocketSphinxDecoder(lib, handle);
  }

  startUtterance(): void {
    if (this.inUtterance) this.endUtterance();
    if (this.lib.ps_start_utt(this.live()) < 0)
      throw new LocalEngineError(PROVIDER_NAME, 'ps_start_utt failed');
    this.inUtterance = true;
  }

  /**
   * Feeds 16 kHz mono PCM. The array must not be modified until the promise settles.
   * `wholeUtterance` says this is all of it: the cepstral mean is then the utterance's own
   * (batch CMN, what the en-us model's feat.params asks for) instead of a running estimate
   * that starts from the model's prior. On a fresh decoder the running estimate is far off
   * for the first second or two, and pocketsphinx heard "what is the weather like today" as
   * "hm" or "what a what a what a bear" depending on the line's noise floor.
   */
  processRaw(pcm: Int16Array, wholeUtterance = false): Promise<void> {
    const handle = this.live();
    const fullUtt = wholeUtterance ? 1 : 0;
    return new Promise((resolve, reject) => {
      this.lib.ps_process_raw.async(handle, pcm, pcm.length, 0, fullUtt, (err: unknown, rv: number) => {
        if (err) reject(new LocalEngineError(PROVIDER_NAME, 'ps_process_raw failed', err));
        else if (rv < 0) reject(new LocalEngineError(PROVIDER_NAME, `ps_process_raw returned ${rv}`));
        else resolve();
      });
    });
  }

  /** The current best hypothesis, lower-cased (the en-us dictionary is lower-case already). */
  hypothesis(): string {
    const hyp: string | null = this.lib.ps_get_hyp(this.live(), [0]);
    return normalise(hyp ?? '');
  }

  /** Ends the utterance and returns the final result with word timings and confidences. */
  finish(): TranscriptionResult {
    this.endUtterance();
    const text = this.hypothesis();
    const words = this.words();
    const scored = words.filter((w) => w.confidence !== undefined);
    // The utterance posterior (ps_get_prob) is vanishingly small for any long input, so
    // report the mean word posterior instead: comparable across utterance lengths.
    const confidence = scored.length
      ? scored.reduce((s, w) => s + (w.confidence ?? 0), 0) / scored.length
      : undefined;
    return { text, isFinal: true, confidence, words, language: 'en-US' };
  }

  /** Stops the current utterance, if any, discarding nothing the decoder keeps (CMN adapts on). */
  endUtterance(): void {
    if (!this.inUtterance) return;
    this.inUtterance = false;
    this.lib.ps_end_utt(this.live());
  }

  free(): void {
    if (!this.handle) return;
    this.lib.ps_free(this.handle);
    this.handle = undefined;
  }

  private words(): TranscriptionWord[] {
    const lib = this.lib;
    const handle = this.live();
    const logmath = lib.ps_get_logmath(handle);
    const segs: { word: string; sf: number; ef: number; prob: number }[] = [];
    // ps_seg_next frees the iterator when it returns NULL, so only an early exit needs ps_seg_free.
    for (let seg = lib.ps_seg_iter(handle, [0]); seg; seg = lib.ps_seg_next(seg)) {
      const sf = [0];
      const ef = [0];
      lib.ps_seg_frames(seg, sf, ef);
      segs.push({
        word: lib.ps_seg_word(seg) as string,
        sf: sf[0],
        ef: ef[0],
        prob: lib.ps_seg_prob(seg, [0], [0], [0]),
      });
    }
    // Frame numbers keep counting across utterances on a reused decoder; make them relative.
    const origin = segs.length ? segs[0].sf : 0;
    return segs
      .filter((s) => !FILLER.test(s.word))
      .map((s) => ({
        word: normalise(s.word),
        startMs: (s.sf - origin) * FRAME_MS,
        endMs: (s.ef + 1 - origin) * FRAME_MS,
        confidence: Math.min(1, lib.logmath_exp(logmath, s.prob) as number),
      }));
  }

  private live(): unknown {
    if (!this.handle) throw new LocalEngineError(PROVIDER_NAME, 'decoder was freed');
    return this.handle;
  }
}

/** Lower-case, drop alternate-pronunciation marks (`the(2)`) and collapse spaces. */
function normalise(text: string): string {
  return text
    .replace(/\(\d+\)/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}
