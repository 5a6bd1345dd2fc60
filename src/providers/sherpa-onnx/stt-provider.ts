import { ValidationError } from '../../core/errors.js';
import { downmixToMono, int16ToFloat32 } from '../../voice/audio/pcm.js';
import type {
  AudioChunk,
  AudioFrame,
  STTCapabilities,
  STTOptions,
  STTProvider,
  STTStreamEvent,
  TranscriptionResult,
} from '../../voice/types.js';
import { nextUnlessAborted } from '../local/abort.js';
import { toMonoFrame } from '../local/pcm.js';
import { BaseSTTProvider } from '../shared/speech-provider-base.js';
import { createNative } from './model-files.js';
import { SerialLane } from './serial-lane.js';
import {
  isStreamingConfig,
  offlineRecognizerConfig,
  onlineRecognizerConfig,
  type ResolvedSTTConfig,
  resolveSTTConfig,
  STT_PROVIDER,
  type SherpaOnnxSTTConfig,
} from './stt-config.js';
import {
  loadSherpaOnnx,
  type SherpaOfflineRecognizer,
  type SherpaOnlineRecognizer,
  type SherpaOnlineStream,
} from './sherpa-module.js';

/** Silence fed after the last sample so the transducer flushes its final frames (as sherpa's examples do). */
const TAIL_PADDING_S = 0.4;
/** Audio decoded per native call in batch mode; between calls the event loop runs and abort is checked. */
const BATCH_SLICE_S = 0.5;

/**
 * Offline speech-to-text with sherpa-onnx (the seed's SherpaOnnxSTTProvider). Transducer
 * models stream (partials as audio arrives, and a final plus an end-of-turn whenever an
 * endpoint rule fires) and also transcribe in batch; Whisper models, and transducers given
 * a `modelType`, are batch only. No model ships with roomkit or any package: point the
 * config at files from sherpa-onnx's model releases. Every path is checked when the
 * provider is built; the native model loads on `warmup()` or first use.
 */
export class SherpaOnnxSTTProvider extends BaseSTTProvider implements STTProvider {
  readonly name = 'sherpa-onnx';
  readonly capabilities: STTCapabilities;
  readonly config: Readonly<ResolvedSTTConfig>;
  private online?: Promise<SherpaOnlineRecognizer>;
  private offline?: Promise<SherpaOfflineRecognizer>;
  private readonly lane = new SerialLane();

  constructor(config: SherpaOnnxSTTConfig) {
    super();
    this.config = resolveSTTConfig(config);
    const streaming = isStreamingConfig(this.config);
    this.capabilities = {
      streaming,
      partials: streaming,
      // Turns are the VAD's by default (seed); `turnTaking: 'stt'` uses the endpoint rules.
      turnDetection: false,
      preferredSampleRate: this.config.sampleRate,
    };
  }

  /** Loads the model now (it can take seconds), so the first utterance does not wait. */
  async warmup(): Promise<void> {
    if (isStreamingConfig(this.config)) await this.onlineRecognizer();
    else await this.offlineRecognizer();
  }

  async transcribe(audio: AudioFrame | AudioChunk, opts: STTOptions = {}): Promise<TranscriptionResult> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const frame = toMonoFrame(audio);
    const samples = int16ToFloat32(frame.data);
    if (!isStreamingConfig(this.config)) return this.transcribeOffline(samples, frame.sampleRate, signal);
    const recognizer = await this.onlineRecognizer();
    const stream = recognizer.createStream();
    const slice = Math.max(1, Math.round(BATCH_SLICE_S * frame.sampleRate));
    for (let i = 0; i < samples.length; i += slice) {
      stream.acceptWaveform({ samples: samples.subarray(i, i + slice), sampleRate: frame.sampleRate });
      decodeReady(recognizer, stream);
      await new Promise((r) => setImmediate(r));
      signal?.throwIfAborted();
    }
    finishInput(recognizer, stream, frame.sampleRate);
    return this.result(recognizer.getResult(stream).text);
  }

  /**
   * Streaming (transducer mode): a `partial` whenever the hypothesis changes; with endpoint
   * detection, a `final` and an `end-of-turn` each time a rule fires (the next utterance
   * starts afresh); a last `final` when the input ends. Abort ends it at once, without a final.
   */
  async *transcribeStream(
    audio: AsyncIterable<AudioFrame>,
    opts: STTOptions = {},
  ): AsyncIterable<STTStreamEvent> {
    if (!isStreamingConfig(this.config)) {
      throw new ValidationError(
        `${STT_PROVIDER}: ${this.config.mode === 'whisper' ? 'mode "whisper"' : `modelType "${this.config.modelType}"`} is batch only; streaming needs mode "transducer" with a streaming transducer model (and no modelType)`,
        undefined,
        'mode',
      );
    }
    const { signal } = opts;
    if (signal?.aborted) return;
    const recognizer = await this.onlineRecognizer();
    const stream = recognizer.createStream();
    const input = audio[Symbol.asyncIterator]();
    let inputDone = false;
    let lastText = '';
    let finals = 0;
    let rate = this.config.sampleRate;
    try {
      while (true) {
        const next = await nextUnlessAborted(input, signal);
        if (next === undefined) return;
        if (next.done) {
          inputDone = true;
          break;
        }
        const frame = next.value;
        rate = frame.sampleRate;
        const mono = downmixToMono(frame.data, frame.channels || 1);
        stream.acceptWaveform({ samples: int16ToFloat32(mono), sampleRate: frame.sampleRate });
        decodeReady(recognizer, stream);
        const text = recognizer.getResult(stream).text.trim();
        if (text && text !== lastText) {
          lastText = text;
          yield { type: 'partial', result: { text, isFinal: false, language: this.config.language } };
          if (signal?.aborted) return;
        }
        if (this.config.enableEndpointDetection && recognizer.isEndpoint(stream)) {
          recognizer.reset(stream);
          lastText = '';
          if (text) {
            finals++;
            const result = this.result(text);
            yield { type: 'final', result };
            yield { type: 'end-of-turn', result, reason: 'endpoint' };
            if (signal?.aborted) return;
          }
        }
      }
      finishInput(recognizer, stream, rate);
      const text = recognizer.getResult(stream).text.trim();
      if (text || finals === 0) yield { type: 'final', result: this.result(text) };
    } finally {
      if (!inputDone) input.return?.().catch(() => {});
    }
  }

  /** The native recognizers are freed by the garbage collector; this drops our references. */
  async close(): Promise<void> {
    this.online = undefined;
    this.offline = undefined;
  }

  private async transcribeOffline(
    samples: Float32Array,
    sampleRate: number,
    signal?: AbortSignal,
  ): Promise<TranscriptionResult> {
    const recognizer = await this.offlineRecognizer();
    return this.lane.run(async () => {
      signal?.throwIfAborted();
      const stream = recognizer.createStream();
      stream.acceptWaveform({ samples, sampleRate });
      const result = await recognizer.decodeAsync(stream);
      signal?.throwIfAborted();
      return this.result(result.text, result.lang);
    });
  }

  private result(text: string, lang?: string): TranscriptionResult {
    const language = lang?.replace(/[<>|]/g, '') || this.config.language;
    return { text: text.trim(), isFinal: true, language };
  }

  private onlineRecognizer(): Promise<SherpaOnlineRecognizer> {
    this.online ??= this.load(
      async (sherpa) => new sherpa.OnlineRecognizer(onlineRecognizerConfig(this.config)),
      'online recognizer',
    ).catch((err) => {
      this.online = undefined; // a later call retries (after the user fixed the install)
      throw err;
    });
    return this.online;
  }

  private offlineRecognizer(): Promise<SherpaOfflineRecognizer> {
    this.offline ??= this.load(
      (sherpa) => sherpa.OfflineRecognizer.createAsync(offlineRecognizerConfig(this.config)),
      'offline recognizer',
    ).catch((err) => {
      this.offline = undefined;
      throw err;
    });
    return this.offline;
  }

  private async load<T>(
    create: (sherpa: ReturnType<typeof loadSherpaOnnx>) => Promise<T>,
    what: string,
  ): Promise<T> {
    const sherpa = loadSherpaOnnx('SherpaOnnxSTTProvider');
    return createNative(STT_PROVIDER, what, () => create(sherpa));
  }
}

function decodeReady(recognizer: SherpaOnlineRecognizer, stream: SherpaOnlineStream): void {
  while (recognizer.isReady(stream)) recognizer.decode(stream);
}

/** End of input: tail padding so the last words come out, then decode what is left. */
function finishInput(
  recognizer: SherpaOnlineRecognizer,
  stream: SherpaOnlineStream,
  sampleRate: number,
): void {
  stream.acceptWaveform({ samples: new Float32Array(Math.round(TAIL_PADDING_S * sampleRate)), sampleRate });
  stream.inputFinished();
  decodeReady(recognizer, stream);
}
