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
  /** Declares streaming support (default true); when false, transcribeStream still works but in one go. */
  streaming?: boolean;
  /** In streaming, one utterance is recognised per this many frames (default: all at the end of the input). */
  framesPerTranscript?: number;
  language?: string;
}

export type MockSTTCall =
  | { method: 'transcribe'; sampleRate: number; samples: number; result: string }
  | { method: 'transcribeStream'; frames: number; sampleRate?: number; results: string[] };

/**
 * A scripted STT for tests: returns the configured transcripts in order and logs every call.
 * Streaming yields speech-start, word-by-word partials, final and end-of-turn per utterance.
 */
export class MockSTTProvider implements STTProvider {
  readonly name = 'mock-stt';
  readonly capabilities: STTCapabilities;
  readonly calls: MockSTTCall[] = [];
  private readonly transcripts: string[];
  private nextIndex = 0;

  constructor(private readonly opts: MockSTTProviderOptions = {}) {
    this.transcripts = opts.transcripts ?? ['hello'];
    this.capabilities = {
      streaming: opts.streaming ?? true,
      partials: opts.streaming ?? true,
      turnDetection: opts.streaming ?? true,
      preferredSampleRate: 16_000,
    };
  }

  async transcribe(audio: AudioFrame | AudioChunk, opts: STTOptions = {}): Promise<TranscriptionResult> {
    opts.signal?.throwIfAborted();
    const text = this.take();
    const samples = audio.data instanceof Int16Array ? audio.data.length : audio.data.byteLength / 2;
    this.calls.push({ method: 'transcribe', sampleRate: audio.sampleRate, samples, result: text });
    return { text, isFinal: true, confidence: 1, language: opts.language ?? this.opts.language };
  }

  async *transcribeStream(
    audio: AsyncIterable<AudioFrame>,
    opts: STTOptions = {},
  ): AsyncGenerator<STTStreamEvent> {
    const call: MockSTTCall = { method: 'transcribeStream', frames: 0, results: [] };
    this.calls.push(call);
    const every = this.opts.framesPerTranscript;
    const signal = opts.signal;
    const language = opts.language ?? this.opts.language;
    const turn = (): STTStreamEvent[] => {
      const text = this.take();
      call.results.push(text);
      const words = text.split(/\s+/).filter(Boolean);
      const partials: STTStreamEvent[] = words.slice(0, -1).map((_, i) => ({
        type: 'partial',
        result: { text: words.slice(0, i + 1).join(' '), isFinal: false, language },
      }));
      const result: TranscriptionResult = { text, isFinal: true, confidence: 1, language };
      return [
        { type: 'speech-start' },
        ...partials,
        { type: 'final', result },
        { type: 'end-of-turn', result, reason: 'mock' },
      ];
    };
    let sinceLast = 0;
    for await (const frame of abortable(audio, signal)) {
      call.frames++;
      call.sampleRate = frame.sampleRate;
      sinceLast++;
      if (every && sinceLast >= every) {
        sinceLast = 0;
        for (const e of turn()) {
          if (signal?.aborted) return;
          yield e;
        }
      }
    }
    if (signal?.aborted) return;
    if (!every || sinceLast > 0) for (const e of turn()) yield e;
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
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    if (signal?.aborted) resolve({ done: true, value: undefined });
    signal?.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true });
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted]);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    void it.return?.();
  }
}
