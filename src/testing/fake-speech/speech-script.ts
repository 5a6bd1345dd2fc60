import type { AudioFrame } from '../../voice/types.js';

/**
 * Scripted "speech" the fake servers can transcribe. Each spoken word is a run of samples
 * at a constant level that encodes the word's position in the script (its code), and
 * silence is zero. Constant levels survive resampling (linear or windowed) everywhere but
 * at edges, so a fake decodes every 80 ms frame by its median and knows exactly which
 * word the client sent, when, and whether it sent it twice or never. That is what makes
 * rollover and reconnect tests meaningful: lost or replayed audio shows in the transcript.
 */
export interface ScriptedUtterance {
  /** Words separated by spaces; punctuation stays on its word. */
  text: string;
  /** Silence after the utterance, in seconds (default 1.6: long enough to end a turn). */
  pauseAfterS?: number;
}

export interface ScriptedWord {
  word: string;
  /** 1-based position in the whole script; the level the word is encoded with. */
  code: number;
  startS: number;
  endS: number;
  utterance: number;
}

export interface RenderedSpeech {
  samples: Int16Array;
  sampleRate: number;
  durationS: number;
  words: ScriptedWord[];
  /** vocabulary[code - 1] is the word with that code: what a fake needs to transcribe. */
  vocabulary: string[];
  /** Audio time at which each utterance's last word ends (the "user stop"). */
  utteranceEndsS: number[];
}

export interface RenderSpeechOptions {
  /** Default 24 000. */
  sampleRate?: number;
  /** Silence before the first word (default 0.4 s). */
  leadingSilenceS?: number;
  /** Length of every word; a multiple of 80 ms keeps frames clean (default 0.32 s). */
  wordS?: number;
  /** Gap between words of one utterance (default 0.08 s). */
  wordGapS?: number;
}

/** Distance between two word levels; far above what resampling smears at an edge. */
export const CODE_STEP = 64;
const MAX_CODE = Math.floor(32_000 / CODE_STEP);

export function renderSpeech(
  utterances: ScriptedUtterance[],
  opts: RenderSpeechOptions = {},
): RenderedSpeech {
  const sampleRate = opts.sampleRate ?? 24_000;
  const wordS = opts.wordS ?? 0.32;
  const gapS = opts.wordGapS ?? 0.08;
  const words: ScriptedWord[] = [];
  const utteranceEndsS: number[] = [];
  let t = opts.leadingSilenceS ?? 0.4;
  utterances.forEach((u, index) => {
    const parts = u.text.split(/\s+/).filter(Boolean);
    parts.forEach((word, i) => {
      if (i > 0) t += gapS;
      words.push({ word, code: words.length + 1, startS: t, endS: t + wordS, utterance: index });
      t += wordS;
    });
    utteranceEndsS.push(t);
    t += u.pauseAfterS ?? 1.6;
  });
  if (words.length > MAX_CODE) throw new RangeError(`a script holds at most ${MAX_CODE} words`);
  const samples = new Int16Array(Math.round(t * sampleRate));
  for (const w of words) {
    samples.fill(w.code * CODE_STEP, Math.round(w.startS * sampleRate), Math.round(w.endS * sampleRate));
  }
  return {
    samples,
    sampleRate,
    durationS: t,
    words,
    vocabulary: words.map((w) => w.word),
    utteranceEndsS,
  };
}

/** Cuts rendered speech into transport-sized frames (default 20 ms) with timestamps. */
export function speechFrames(speech: RenderedSpeech, frameMs = 20): AudioFrame[] {
  const size = Math.round((speech.sampleRate * frameMs) / 1000);
  const frames: AudioFrame[] = [];
  for (let i = 0; i < speech.samples.length; i += size) {
    frames.push({
      data: speech.samples.slice(i, i + size),
      sampleRate: speech.sampleRate,
      channels: 1,
      timestampMs: (i / speech.sampleRate) * 1000,
    });
  }
  return frames;
}

/** Frames as an async stream, optionally paced (`realtimeFactor` 1 = real time, 0 = as fast as possible). */
export async function* streamFrames(
  frames: AudioFrame[],
  opts: { realtimeFactor?: number } = {},
): AsyncGenerator<AudioFrame> {
  const factor = opts.realtimeFactor ?? 0;
  for (const frame of frames) {
    if (factor > 0)
      await new Promise((r) => setTimeout(r, ((frame.data.length / frame.sampleRate) * 1000) / factor));
    else await new Promise((r) => setImmediate(r));
    yield frame;
  }
}

/** The code a frame of coded speech carries (0 = silence), robust to edge smearing. */
export function decodeFrameCode(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  const sorted = Int16Array.from(samples).sort();
  return Math.max(0, Math.round(sorted[sorted.length >> 1] / CODE_STEP));
}

/** The script text, normalised the way transcripts are compared. */
export function scriptText(speech: RenderedSpeech): string {
  return speech.words.map((w) => w.word).join(' ');
}
