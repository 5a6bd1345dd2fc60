import { ValidationError } from '../../core/errors.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { checkModelPaths, type ModelPath } from './model-files.js';
import { positiveInteger } from './stt-config.js';

export const TTS_PROVIDER = 'sherpa-onnx-tts';

/** The seed's SherpaOnnxTTSConfig (VITS / Piper models), in camelCase, with the same defaults. */
export interface SherpaOnnxTTSConfig {
  /** Path to the VITS/Piper .onnx model. */
  model: string;
  /** Path to tokens.txt. */
  tokens: string;
  /** Path to the espeak-ng-data folder (Piper models need it). */
  dataDir?: string;
  /** Path to a lexicon file (some VITS models). */
  lexicon?: string;
  /** Speaker of a multi-speaker model; per call, `TTSOptions.voice` as a number string. Default 0. */
  speakerId?: number;
  /** Speech speed multiplier (1 = normal). Default 1. */
  speed?: number;
  /** Rate of the PCM this provider yields; the model's own rate is resampled to it. Default 22050. */
  sampleRate?: number;
  /** CPU threads for inference. Default 2. */
  numThreads?: number;
  /** ONNX execution provider: `cpu` or `cuda`. Default `cpu`. */
  provider?: string;
}

export type ResolvedTTSConfig = Required<SherpaOnnxTTSConfig>;

const OPTIONS = optionNames<SherpaOnnxTTSConfig>({
  model: true,
  tokens: true,
  dataDir: true,
  lexicon: true,
  speakerId: true,
  speed: true,
  sampleRate: true,
  numThreads: true,
  provider: true,
});

export function resolveTTSConfig(config: SherpaOnnxTTSConfig): ResolvedTTSConfig {
  if (config === undefined)
    throw new ValidationError(`${TTS_PROVIDER}: a config with the model files is required`);
  checkOptions(TTS_PROVIDER, config, OPTIONS);
  const c: ResolvedTTSConfig = {
    model: config.model ?? '',
    tokens: config.tokens ?? '',
    dataDir: config.dataDir ?? '',
    lexicon: config.lexicon ?? '',
    speakerId: config.speakerId ?? 0,
    speed: config.speed ?? 1,
    sampleRate: config.sampleRate ?? 22050,
    numThreads: config.numThreads ?? 2,
    provider: config.provider ?? 'cpu',
  };
  if (!(Number.isInteger(c.speakerId) && c.speakerId >= 0)) {
    throw new ValidationError(
      `${TTS_PROVIDER}: speakerId must be an integer >= 0, got ${c.speakerId}`,
      undefined,
      'speakerId',
    );
  }
  if (!(Number.isFinite(c.speed) && c.speed > 0)) {
    throw new ValidationError(
      `${TTS_PROVIDER}: speed must be a positive number, got ${c.speed}`,
      undefined,
      'speed',
    );
  }
  positiveInteger(c.sampleRate, 'sampleRate', TTS_PROVIDER);
  positiveInteger(c.numThreads, 'numThreads', TTS_PROVIDER);
  const paths: ModelPath[] = [
    { option: 'model', path: c.model, kind: 'onnx' },
    { option: 'tokens', path: c.tokens },
  ];
  if (c.dataDir) paths.push({ option: 'dataDir', path: c.dataDir, kind: 'directory' });
  if (c.lexicon) paths.push({ option: 'lexicon', path: c.lexicon });
  checkModelPaths(TTS_PROVIDER, paths);
  return c;
}

/** sherpa-onnx's OfflineTts config for a VITS/Piper model, one sentence per generation step. */
export function offlineTtsConfig(c: ResolvedTTSConfig): object {
  return {
    model: {
      vits: { model: c.model, tokens: c.tokens, lexicon: c.lexicon, dataDir: c.dataDir },
      numThreads: c.numThreads,
      provider: c.provider,
      debug: 0,
    },
    maxNumSentences: 1,
  };
}
