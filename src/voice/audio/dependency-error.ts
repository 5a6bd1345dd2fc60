import { RoomKitError } from '../../core/errors.js';

/**
 * A native library or wasm module an audio component needs could not be loaded.
 * Names the component and says how to install what is missing, so the fix is in the message.
 */
export class AudioDependencyError extends RoomKitError {
  readonly component: string;
  readonly install: string;

  constructor(component: string, install: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super(`${component} is unavailable${reason}. Install with: ${install}`, {
      code: 'audio_dependency_missing',
      cause,
    });
    this.component = component;
    this.install = install;
  }
}
