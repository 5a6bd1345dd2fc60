/**
 * The speech a `roomkit serve` voice worker builds for itself (`createVoice`, the default
 * `voiceModule`): the same as the main process's, from the environment, with the talk
 * button's pipeline. Providers hold sockets and native handles, so each worker makes its own.
 */
import type { Logger } from '../core/logger.js';
import { type ServerVoice, voiceFromEnv } from './voice-from-env.js';
import { servePipeline } from './voice-wiring.js';

export async function createVoice(logger: Logger): Promise<ServerVoice | undefined> {
  const voice = await voiceFromEnv(logger);
  return voice && { ...voice, pipeline: voice.pipeline ?? servePipeline() };
}
