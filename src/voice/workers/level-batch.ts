import type { VADAudioLevelEvent } from '../voice-hooks.js';

/** One level reading as it crosses to the main process: session id, direction, dBFS, speech, epoch ms. */
export type LevelReading = [
  sessionId: string,
  direction: 'inbound' | 'outbound',
  levelDb: number,
  isSpeech: boolean,
  at: number,
];

/** How long readings wait to cross together (levels come ten a second per direction per call). */
export const LEVEL_BATCH_MS = 100;

/**
 * Level readings (ON_INPUT_AUDIO_LEVEL / ON_OUTPUT_AUDIO_LEVEL) cross to the main process in
 * one message every 100 ms instead of one message each. They were three quarters of a worker's
 * messages (ten a second per direction per call, with the session twice in each), and every
 * message costs a serialisation, a pipe write and a parse on each side. A reading arrives at
 * the main process's hooks at most 100 ms later; each call's readings keep their order, and
 * `flush()` before a call's end keeps them ahead of it.
 */
export class LevelBatch {
  private readings: LevelReading[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: (readings: LevelReading[]) => void) {}

  add(event: VADAudioLevelEvent, direction: 'inbound' | 'outbound'): void {
    this.readings.push([
      event.session.id,
      direction,
      event.levelDb,
      event.isSpeech,
      Date.parse(event.timestamp),
    ]);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), LEVEL_BATCH_MS);
    this.timer.unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.readings.length) return;
    const readings = this.readings;
    this.readings = [];
    this.send(readings);
  }
}
