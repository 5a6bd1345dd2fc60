import { cloneAudioFrame } from './audio/frames.js';
import type { AudioFrame } from './types.js';

/** At most this much audio waits for a call's set-up (50 frames of 20 ms). */
const MAX_EARLY_FRAMES = 50;

/**
 * Audio a caller sends while the channel is still binding the call. A transport says `ready`
 * to its client as soon as the call exists, and binding it (attaching the channel to the room,
 * building the pipeline session) takes a few awaits more; a client that streams the moment
 * it hears `ready` lost its first frames. They are kept here (copies: transports may reuse
 * their buffers) and played into the pipeline, in order, once the call is bound.
 */
export class EarlyFrames {
  private readonly held = new Map<string, AudioFrame[]>();

  hold(sessionId: string, frame: AudioFrame): void {
    let frames = this.held.get(sessionId);
    if (!frames) {
      frames = [];
      this.held.set(sessionId, frames);
    }
    // Set-up that takes longer than this is stuck; keep the newest audio.
    if (frames.length >= MAX_EARLY_FRAMES) frames.shift();
    frames.push(cloneAudioFrame(frame));
  }

  /** The call's held frames, oldest first; it holds none after. */
  take(sessionId: string): AudioFrame[] {
    const frames = this.held.get(sessionId) ?? [];
    this.held.delete(sessionId);
    return frames;
  }
}
