/**
 * `roomkit/providers/local`: offline speech providers built on Debian packages
 * (pocketsphinx + pocketsphinx-en-us for STT, flite or espeak-ng for TTS). No network,
 * no model downloads; load through this subpath only (koffi is native).
 */
export {
  LocalSTTProvider,
  LocalSTTProvider as PocketSphinxSTTProvider,
  type LocalSTTOptions,
} from './local-stt.js';
export { LocalTTSProvider, FliteTTSProvider, EspeakTTSProvider, type LocalTTSOptions } from './local-tts.js';
export type { LocalTTSEngine } from './tts-engines.js';
export { LocalEngineMissingError, LocalEngineError } from './errors.js';
export { DEFAULT_MODEL_DIR, type PocketSphinxModelOptions } from './pocketsphinx-library.js';
export { SentenceSplitter, splitSentences } from './sentence-splitter.js';
