import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AudioPipelineConfig } from '../voice/pipeline/audio-pipeline.js';
import type { STTProvider, TTSProvider } from '../voice/types.js';

export interface ServerVoice {
  stt: STTProvider;
  tts: TTSProvider;
  /** What the console shows, e.g. "gradium / gradium" or "offline (pocketsphinx / flite)". */
  label: string;
  /** The WebSocket voice calls' pipeline (default: AGC and WebRTC's VAD, `servePipeline()`). */
  pipeline?: AudioPipelineConfig;
}

/**
 * Speech for `roomkit serve`: Gradium when GRADIUM_API_KEY is set, otherwise the offline
 * providers (Debian's pocketsphinx and flite). Returns undefined, with a log line saying
 * what to install, when neither is available: the console then hides the talk button.
 */
export async function voiceFromEnv(
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerVoice | undefined> {
  if (env.GRADIUM_API_KEY) {
    const { GradiumSTTProvider, GradiumTTSProvider } = await import('../providers/gradium/index.js');
    return {
      stt: new GradiumSTTProvider({ apiKey: env.GRADIUM_API_KEY }),
      tts: new GradiumTTSProvider({ apiKey: env.GRADIUM_API_KEY }),
      label: 'gradium',
    };
  }
  try {
    const { LocalSTTProvider, LocalTTSProvider } = await import('../providers/local/index.js');
    const stt = new LocalSTTProvider();
    const tts = new LocalTTSProvider({ engine: 'flite' });
    await stt.warmup();
    await tts.warmup?.();
    return { stt, tts, label: 'offline (pocketsphinx / flite)' };
  } catch (error) {
    logger.warn(
      { err: errorMessage(error) },
      'voice disabled: no GRADIUM_API_KEY and the offline engines are missing',
    );
    return undefined;
  }
}
