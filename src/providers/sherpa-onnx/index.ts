/**
 * `roomkit/providers/sherpa-onnx`: offline STT and TTS with sherpa-onnx (the optional
 * `sherpa-onnx-node` package, loaded on first use). Models are not shipped: point the
 * configs at files from sherpa-onnx's model releases. The Silero VAD stage that runs on the
 * same runtime is `SileroVADProvider` in `roomkit/voice`.
 */
export { SherpaOnnxSTTProvider } from './stt-provider.js';
export type { SherpaOnnxSTTConfig, SherpaOnnxSTTMode } from './stt-config.js';
export { SherpaOnnxTTSProvider } from './tts-provider.js';
export type { SherpaOnnxTTSConfig } from './tts-config.js';
export { SherpaOnnxModelError } from './model-files.js';
export { SHERPA_PACKAGE } from './sherpa-module.js';
