/**
 * `roomkit/backends/local`: the machine's microphone and speakers through ALSA's
 * arecord/aplay or SoX (Debian `alsa-utils` or `sox`).
 */
export { LocalAudioBackend, type LocalAudioBackendOptions } from './local-audio-backend.js';
export type { LocalAudioTool } from './audio-tools.js';
export { LocalAudioDeviceError } from './device-process.js';
export { LocalEngineMissingError } from '../../providers/local/errors.js';
