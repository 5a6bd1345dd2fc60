import type { VADAudioLevelEvent } from '../voice-hooks.js';
import { Batch } from './batch.js';

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
  private readonly batch: Batch<LevelReading>;

  constructor(send: (readings: LevelReading[]) => void) {
    this.batch = new Batch(send, LEVEL_BATCH_MS);
  }

  add(event: VADAudioLevelEvent, direction: 'inbound' | 'outbound'): void {
    this.batch.add([event.session.id, direction, event.levelDb, event.isSpeech, Date.parse(event.timestamp)]);
  }

  flush(): void {
    this.batch.flush();
  }
}
