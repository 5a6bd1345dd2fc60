export * from './admission.js';
export * from './audio/index.js';
export * from './backends/index.js';
export * from './diarization/index.js';
export * from './echo/index.js';
export * from './interruption.js';
export * from './pacer.js';
export * from './pipeline/index.js';
export { bindingAllowsInput, fireSessionHook, sessionHookContext } from './session-hooks.js';
export * from './turn-metrics.js';
export * from './types.js';
// The seed's base classes for your own STT/TTS providers (seed properties from capabilities).
export { BaseSTTProvider, BaseTTSProvider } from '../providers/shared/speech-provider-base.js';
export * from './voice-channel.js';
export type * from './voice-hooks.js';
