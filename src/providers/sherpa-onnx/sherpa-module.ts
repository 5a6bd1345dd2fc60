/**
 * Loads `sherpa-onnx-node` (an optional dependency: a 32 MB native addon whose platform
 * binary ships as an npm package, nothing downloaded) on first use, so importing roomkit
 * never loads it. Only the slice of its API roomkit uses is typed here.
 */
import { createRequire } from 'node:module';
import { AudioDependencyError } from '../../voice/audio/dependency-error.js';

export const SHERPA_PACKAGE = 'sherpa-onnx-node';

export interface SherpaWaveform {
  samples: Float32Array;
  sampleRate: number;
}

export interface SherpaRecognizerResult {
  text: string;
  tokens?: string[];
  timestamps?: number[];
  lang?: string;
}

export interface SherpaOnlineStream {
  acceptWaveform(wave: SherpaWaveform): void;
  inputFinished(): void;
}

export interface SherpaOnlineRecognizer {
  createStream(): SherpaOnlineStream;
  isReady(stream: SherpaOnlineStream): boolean;
  decode(stream: SherpaOnlineStream): void;
  isEndpoint(stream: SherpaOnlineStream): boolean;
  reset(stream: SherpaOnlineStream): void;
  getResult(stream: SherpaOnlineStream): SherpaRecognizerResult;
}

export interface SherpaOfflineStream {
  acceptWaveform(wave: SherpaWaveform): void;
}

export interface SherpaOfflineRecognizer {
  createStream(): SherpaOfflineStream;
  decodeAsync(stream: SherpaOfflineStream): Promise<SherpaRecognizerResult>;
}

export interface SherpaGeneratedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export interface SherpaOfflineTts {
  readonly sampleRate: number;
  readonly numSpeakers: number;
  generateAsync(req: {
    text: string;
    sid: number;
    speed: number;
    /** Each chunk as it is generated; returning 0 or false stops generation. */
    onProgress?: (info: { samples: Float32Array; progress: number }) => number | boolean | undefined;
  }): Promise<SherpaGeneratedAudio>;
}

export interface SherpaSpeechSegment {
  start: number;
  samples: Float32Array;
}

export interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isDetected(): boolean;
  isEmpty(): boolean;
  front(enableExternalBuffer?: boolean): SherpaSpeechSegment;
  pop(): void;
  reset(): void;
  flush(): void;
}

export interface SherpaOnnx {
  version: string;
  OnlineRecognizer: new (config: object) => SherpaOnlineRecognizer;
  OfflineRecognizer: { createAsync(config: object): Promise<SherpaOfflineRecognizer> };
  OfflineTts: { createAsync(config: object): Promise<SherpaOfflineTts> };
  Vad: new (config: object, bufferSizeInSeconds: number) => SherpaVad;
}

const loaded = new Map<string, SherpaOnnx>();

/**
 * The addon, loaded once per process. Throws an AudioDependencyError that says
 * `npm install sherpa-onnx-node` when it (or its platform binary) is missing; a later call
 * tries again, so installing it fixes a running process's next attempt.
 */
export function loadSherpaOnnx(component: string, specifier = SHERPA_PACKAGE): SherpaOnnx {
  const cached = loaded.get(specifier);
  if (cached) return cached;
  let mod: SherpaOnnx;
  try {
    mod = createRequire(import.meta.url)(specifier) as SherpaOnnx;
  } catch (err) {
    throw new AudioDependencyError(component, `npm install ${SHERPA_PACKAGE}`, err);
  }
  loaded.set(specifier, mod);
  return mod;
}
