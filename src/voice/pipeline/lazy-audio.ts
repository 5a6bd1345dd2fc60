/**
 * An event's `audio` read only when someone reads it: an own, enumerable getter (a spread or
 * an equality check reads it as a value) that asks the event's source then. One getter serves
 * every event, with the source in a hidden property, so events keep V8's fast properties and
 * share one shape. A getter written per event (a literal's `get audio()`) gave each event a
 * closure and a property dictionary of its own: several hundred bytes, held through the turn
 * and its reply, so copied by every scavenge the turn outlived.
 */

/** Whatever gives the audio when asked (the segmenter's hand-over, or an earlier event). */
export interface AudioSource {
  readonly audio?: Int16Array;
  /** The audio without a copy, for the length of a call (the segmenter's hand-over lends). */
  lend?(): LentAudio;
}

/**
 * Audio lent for the length of a call: read it until `release` (which is idempotent), copy
 * what you keep. Its owner writes its next audio elsewhere while it is out. `release` gives
 * it back for good: the event it came from has no audio after (reading it throws), so lend
 * only an event nobody else reads.
 */
export interface LentAudio {
  readonly audio: Int16Array;
  release(): void;
}

const SOURCE = Symbol('audioSource');

const AUDIO: PropertyDescriptor = {
  get(this: { [SOURCE]: AudioSource }) {
    return this[SOURCE].audio;
  },
  enumerable: true,
  configurable: true,
};

/** Gives `target` an `audio` read from `source` when read (the source is not enumerable). */
export function defineLazyAudio<T extends object>(target: T, source: AudioSource): T & { audio: Int16Array } {
  Object.defineProperty(target, SOURCE, { value: source });
  Object.defineProperty(target, 'audio', AUDIO);
  return target as T & { audio: Int16Array };
}

/** Whether `event`'s audio is read lazily (without reading it, which may copy it). */
export function hasLazyAudio(event: object): boolean {
  return SOURCE in event;
}

/**
 * An event's audio lent rather than copied, when its source lends (a segmenter's SPEECH_END,
 * directly or through the pipeline's event): for a reader that is done with the audio once a
 * call settles, so a turn's STT costs no copy of the utterance. Any other event's audio is
 * read as usual, and its `release` does nothing.
 */
export function lendAudio(event: { readonly audio: Int16Array }): LentAudio {
  let source: AudioSource = event;
  while (SOURCE in source) source = (source as { [SOURCE]: AudioSource })[SOURCE];
  return source.lend ? source.lend() : { audio: event.audio, release() {} };
}
