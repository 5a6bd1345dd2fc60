import { ValidationError } from '../../core/errors.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { checkModelPaths, type ModelPath } from './model-files.js';

export const STT_PROVIDER = 'sherpa-onnx-stt';

export type SherpaOnnxSTTMode = 'transducer' | 'whisper';

/** The seed's SherpaOnnxSTTConfig, in camelCase, with the same defaults. */
export interface SherpaOnnxSTTConfig {
  /** `transducer` (streaming and batch) or `whisper` (batch only). Default `transducer`. */
  mode?: SherpaOnnxSTTMode;
  /** Path to tokens.txt. */
  tokens: string;
  /** Path to the encoder .onnx model. */
  encoder: string;
  /** Path to the decoder .onnx model. */
  decoder: string;
  /** Path to the joiner .onnx model (transducer only). */
  joiner?: string;
  /**
   * Model type hint for sherpa-onnx, e.g. `nemo_transducer` for NeMo TDT models. When set,
   * the transducer is run offline (batch only, no streaming), as in the seed.
   */
  modelType?: string;
  /** Language code (Whisper only). Default `en`. */
  language?: string;
  /** Whisper task: `transcribe`, or `translate` (to English). Default `transcribe`. */
  task?: 'transcribe' | 'translate';
  /** The rate the model's features are computed at; other input rates are resampled. Default 16000. */
  sampleRate?: number;
  /** CPU threads for inference. Default 2. */
  numThreads?: number;
  /** ONNX execution provider: `cpu` or `cuda`. Default `cpu`. */
  provider?: string;
  /**
   * sherpa-onnx's own endpoint detection when streaming: a `final` and an `end-of-turn`
   * when one of the three rules fires. Default true. In a VoiceChannel the VAD ends turns
   * first (its silence is shorter), so this is harmless there and useful on its own.
   */
  enableEndpointDetection?: boolean;
  /** Rule 1: trailing silence (s) that ends an utterance even with nothing decoded. Default 2.4. */
  rule1MinTrailingSilence?: number;
  /** Rule 2: trailing silence (s) that ends an utterance after decoded text. Default 1.2. */
  rule2MinTrailingSilence?: number;
  /** Rule 3: utterance length (s) that ends it regardless of silence. Default 20. */
  rule3MinUtteranceLength?: number;
}

export type ResolvedSTTConfig = Required<Omit<SherpaOnnxSTTConfig, 'joiner' | 'modelType'>> & {
  joiner: string;
  modelType: string;
};

const OPTIONS = optionNames<SherpaOnnxSTTConfig>({
  mode: true,
  tokens: true,
  encoder: true,
  decoder: true,
  joiner: true,
  modelType: true,
  language: true,
  task: true,
  sampleRate: true,
  numThreads: true,
  provider: true,
  enableEndpointDetection: true,
  rule1MinTrailingSilence: true,
  rule2MinTrailingSilence: true,
  rule3MinUtteranceLength: true,
});

/** Validates the config (unknown keys, values, every model file on disk) and fills in defaults. */
export function resolveSTTConfig(config: SherpaOnnxSTTConfig): ResolvedSTTConfig {
  if (config === undefined)
    throw new ValidationError(`${STT_PROVIDER}: a config with the model files is required`);
  checkOptions(STT_PROVIDER, config, OPTIONS);
  const c: ResolvedSTTConfig = {
    mode: config.mode ?? 'transducer',
    tokens: config.tokens ?? '',
    encoder: config.encoder ?? '',
    decoder: config.decoder ?? '',
    joiner: config.joiner ?? '',
    modelType: config.modelType ?? '',
    language: config.language ?? 'en',
    task: config.task ?? 'transcribe',
    sampleRate: config.sampleRate ?? 16000,
    numThreads: config.numThreads ?? 2,
    provider: config.provider ?? 'cpu',
    enableEndpointDetection: config.enableEndpointDetection ?? true,
    rule1MinTrailingSilence: config.rule1MinTrailingSilence ?? 2.4,
    rule2MinTrailingSilence: config.rule2MinTrailingSilence ?? 1.2,
    rule3MinUtteranceLength: config.rule3MinUtteranceLength ?? 20,
  };
  if (c.mode !== 'transducer' && c.mode !== 'whisper') {
    throw new ValidationError(
      `${STT_PROVIDER}: mode must be "transducer" or "whisper", got ${JSON.stringify(c.mode)}`,
      undefined,
      'mode',
    );
  }
  if (c.task !== 'transcribe' && c.task !== 'translate') {
    throw new ValidationError(
      `${STT_PROVIDER}: task must be "transcribe" or "translate", got ${JSON.stringify(c.task)}`,
      undefined,
      'task',
    );
  }
  positiveInteger(c.sampleRate, 'sampleRate');
  positiveInteger(c.numThreads, 'numThreads');
  for (const rule of [
    'rule1MinTrailingSilence',
    'rule2MinTrailingSilence',
    'rule3MinUtteranceLength',
  ] as const) {
    if (!(Number.isFinite(c[rule]) && c[rule] > 0)) {
      throw new ValidationError(
        `${STT_PROVIDER}: ${rule} must be a positive number of seconds`,
        undefined,
        rule,
      );
    }
  }
  const paths: ModelPath[] = [
    { option: 'tokens', path: c.tokens },
    { option: 'encoder', path: c.encoder, kind: 'onnx' },
    { option: 'decoder', path: c.decoder, kind: 'onnx' },
  ];
  if (c.mode === 'transducer') paths.push({ option: 'joiner', path: c.joiner, kind: 'onnx' });
  checkModelPaths(STT_PROVIDER, paths);
  return c;
}

/** Streaming needs a streaming (online) transducer; whisper and typed offline models are batch only. */
export function isStreamingConfig(c: ResolvedSTTConfig): boolean {
  return c.mode === 'transducer' && !c.modelType;
}

/** sherpa-onnx's OnlineRecognizer config. */
export function onlineRecognizerConfig(c: ResolvedSTTConfig): object {
  return {
    featConfig: { sampleRate: c.sampleRate, featureDim: 80 },
    modelConfig: {
      transducer: { encoder: c.encoder, decoder: c.decoder, joiner: c.joiner },
      tokens: c.tokens,
      numThreads: c.numThreads,
      provider: c.provider,
      debug: 0,
    },
    decodingMethod: 'greedy_search',
    enableEndpoint: c.enableEndpointDetection ? 1 : 0,
    rule1MinTrailingSilence: c.rule1MinTrailingSilence,
    rule2MinTrailingSilence: c.rule2MinTrailingSilence,
    rule3MinUtteranceLength: c.rule3MinUtteranceLength,
  };
}

/** sherpa-onnx's OfflineRecognizer config: Whisper, or a transducer with a model type. */
export function offlineRecognizerConfig(c: ResolvedSTTConfig): object {
  const model =
    c.mode === 'whisper'
      ? { whisper: { encoder: c.encoder, decoder: c.decoder, language: c.language, task: c.task } }
      : { transducer: { encoder: c.encoder, decoder: c.decoder, joiner: c.joiner }, modelType: c.modelType };
  return {
    featConfig: { sampleRate: c.sampleRate, featureDim: 80 },
    modelConfig: { ...model, tokens: c.tokens, numThreads: c.numThreads, provider: c.provider, debug: 0 },
  };
}

export function positiveInteger(value: number, option: string, provider = STT_PROVIDER): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new ValidationError(
      `${provider}: ${option} must be a positive integer, got ${value}`,
      undefined,
      option,
    );
  }
}
