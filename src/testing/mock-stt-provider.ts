import { BaseSTTProvider } from '../providers/shared/speech-provider-base.js';
import { nextUnlessAborted } from '../providers/local/abort.js';
import { rms } from '../voice/audio/levels.js';
import type {
  AudioChunk,
  AudioFrame,
  STTCapabilities,
  STTOptions,
  STTProvider,
  STTStreamEvent,
  TranscriptionResult,
} from '../voice/types.js';

export interface MockSTTProviderOptions {
  /** What the mock "hears", one entry per utterance, in order (cycles when exhausted). */
  transcripts?: string[];
  /**
   * Declares streaming support (default false, as the seed's mock): a VoiceChannel then ends
   * turns with its VAD and calls `transcribe`. When true the mock detects turns itself (see
   * `endOfTurnSilenceMs`) and the channel lets it. `transcribeStream` works either way.
   */
  streaming?: boolean;
  /** In streaming, one utterance is recognised per this many frames, whatever they contain. */
  framesPerTranscript?: number;
  /**
   * Otherwise the stream ends a turn like a vendor's endpointing does: speech (frames at or
   * above `speechThreshold` RMS) followed by this much quiet. Default 300 ms.
   */
  endOfTurnSilenceMs?: number;
  /** RMS (int16 units) from which a frame counts as speech. Default 300. */
  speechThreshold?: number;
  /**
   * Keep every call in `calls` (default true, for tests to read). False keeps none: a load
   * test's mock, standing in for a remote vendor, should not hold every request it was sent.
   */
  recordCalls?: boolean;
  language?: string;
}

export type MockSTTCall =
  | { method: 'transcribe'; sampleRate: number; samples: number; result: string }
  | { method: 'transcribeStream'; frames: number; sampleRate?: number; results: string[] };

/**
 * A scripted STT for tests: returns the configured transcripts in order and logs every call.
 * Streaming yields speech-start when speech begins, then word-by-word partials (when
 * streaming), the final and end-of-turn when the turn ends: during the stream (endpointing
 * or `framesPerTranscript`), and at the end of the input for what is left.
 */
export class MockSTTProvider extends BaseSTTProvider implements STTProvider {
  readonly name = 'mock-stt';
  readonly capabilities: STTCapabilities;
  readonly calls: MockSTTCall[] = [];
  private readonly transcripts: string[];
  private nextIndex = 0;

  constructor(private readonly opts: MockSTTProviderOptions = {}) {
    super();
    this.transcripts = opts.transcripts ?? ['hello'];
    const streaming = opts.streaming ?? false;
    this.capabilities = {
      streaming,
      partials: streaming,
      turnDetection: streaming,
      preferredSampleRate: 16_000,
    };
  }

  async transcribe(audio: AudioFrame | AudioChunk, opts: STTOptions = {}): Promise<TranscriptionResult> {
    opts.signal?.throwIfAborted();
    const text = this.take();
    const samples = audio.data instanceof Int16Array ? audio.data.length : audio.data.byteLength / 2;
    if (this.opts.recordCalls !== false)
      this.calls.push({ method: 'transcribe', sampleRate: audio.sampleRate, samples, result: text });
    return { text, isFinal: true, confidence: 1, language: opts.language ?? this.opts.language };
  }

  async *transcribeStream(
    audio: AsyncIterable<AudioFrame>,
    opts: STTOptions = {},
  ): AsyncGenerator<STTStreamEvent> {
    const call: MockSTTCall = { method: 'transcribeStream', frames: 0, results: [] };
    if (this.opts.recordCalls !== false) this.calls.push(call);
    const every = this.opts.framesPerTranscript;
    const signal = opts.signal;
    const language = opts.language ?? this.opts.language;
    const silenceMs = this.opts.endOfTurnSilenceMs ?? 300;
    const threshold = this.opts.speechThreshold ?? 300;
    let inSpeech = false;
    let quietMs = 0;
    let turns = 0;
    /** The rest of a turn after its speech-start: partials, final, end-of-turn. */
    const finish = (reason: string): STTStreamEvent[] => {
      turns++;
      inSpeech = false;
      quietMs = 0;
      const text = this.take();
      call.results.push(text);
      const words = text.split(/\s+/).filter(Boolean);
      const partials: STTStreamEvent[] = this.capabilities.partials
        ? words.slice(0, -1).map((_, i) => ({
            type: 'partial',
            result: { text: words.slice(0, i + 1).join(' '), isFinal: false, language },
          }))
        : [];
      const result: TranscriptionResult = { text, isFinal: true, confidence: 1, language };
      return [...partials, { type: 'final', result }, { type: 'end-of-turn', result, reason }];
    };
    let sinceLast = 0;
    for await (const frame of abortable(audio, signal)) {
      call.frames++;
      call.sampleRate = frame.sampleRate;
      let events: STTStreamEvent[] = [];
      if (every) {
        if (++sinceLast >= every) {
          sinceLast = 0;
          events = [{ type: 'speech-start' }, ...finish('frames')];
        }
      } else if (rms(frame.data) >= threshold) {
        quietMs = 0;
        if (!inSpeech) {
          inSpeech = true;
          events = [{ type: 'speech-start' }];
        }
      } else if (inSpeech) {
        quietMs += (frame.data.length / frame.sampleRate) * 1000;
        if (quietMs >= silenceMs) events = finish('silence');
      }
      for (const e of events) {
        if (signal?.aborted) return;
        yield e;
      }
    }
    if (signal?.aborted) return;
    // The input ended: what is left is one last utterance (or the only one, for audio
    // without speech in it, so a test feeding silence still gets its transcript).
    const pending = every ? sinceLast > 0 : inSpeech || (turns === 0 && call.frames > 0);
    if (!pending) return;
    if (!inSpeech) yield { type: 'speech-start' };
    yield* finish('end_of_input');
  }

  private take(): string {
    const text = this.transcripts[this.nextIndex % this.transcripts.length] ?? '';
    this.nextIndex++;
    return text;
  }
}

/** Iterates `source` until `signal` aborts, without waiting for the source's next item. */
export async function* abortable<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await nextUnlessAborted(it, signal);
      if (!r || r.done) return;
      yield r.value;
    }
  } finally {
    void it.return?.();
  }
}
