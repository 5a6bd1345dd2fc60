import type { RoomKit } from '../core/roomkit.js';
import { ValidationError } from '../core/errors.js';
import type { VoiceAuthenticate } from '../voice/backends/websocket-voice-backend.js';
import type { VoiceAdmission } from '../voice/admission.js';
import { VoiceWorkerPool } from '../voice/workers/voice-worker-pool.js';
import { VOICE_CHANNEL_ID } from './voice-wiring.js';

export interface VoiceWorkersOptions {
  /** Worker processes for the WebSocket voice calls (`--voice-workers`). */
  workers: number;
  /**
   * Module whose `createVoice(logger)` builds each worker's speech (providers cannot cross
   * processes). Default: the environment's, as the main process's (voice-worker-voice.ts).
   */
  voiceModule?: string;
  authenticate: VoiceAuthenticate;
  /** The server's limits on calls (refused here, before a worker sees the socket). */
  admission?: VoiceAdmission;
}

/**
 * The talk button's WebSocket voice on several cores: the calls live in voice worker
 * processes, the kit stays here (docs/decisions.md, "Voice workers"). Same path, protocol,
 * channel id and room events as `attachVoice`.
 */
export async function attachVoiceWorkers(kit: RoomKit, opts: VoiceWorkersOptions): Promise<VoiceWorkerPool> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > 64) {
    throw new ValidationError(`voice workers must be 1-64, got ${opts.workers}`);
  }
  const own = new URL(
    `./voice-worker-voice${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
    import.meta.url,
  );
  const pool = new VoiceWorkerPool(kit, {
    workers: opts.workers,
    voiceModule: opts.voiceModule ?? own.href,
    channelId: VOICE_CHANNEL_ID,
    path: '/voice',
    authenticate: opts.authenticate,
    admission: opts.admission,
    logger: kit.logger,
    logLevel: process.env.ROOMKIT_LOG_LEVEL,
  });
  kit.registerChannel(pool.channel);
  await pool.start();
  return pool;
}
