import { RoomKitError } from '../../core/errors.js';
import { loadOpus } from '../../voice/audio/opus.js';

/** The werift module (pure-TypeScript WebRTC), loaded on first use. */
export type Werift = typeof import('werift');

let loaded: Promise<Werift> | undefined;

/**
 * Loads werift and the Opus codec once. `roomkit/realtime` re-exports the WebRTC transport,
 * so importing it must not pull werift's DTLS/SCTP stack into apps that never take a call.
 */
export function loadWebRTC(): Promise<Werift> {
  loaded ??= (async () => {
    await loadOpus();
    try {
      return await import('werift');
    } catch (error) {
      throw new RoomKitError('werift is unavailable: npm install werift@0.24.4', {
        code: 'webrtc_dependency_missing',
        cause: error,
      });
    }
  })();
  // A failed load is retried next time (someone may install the package meanwhile).
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
