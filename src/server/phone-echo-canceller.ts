import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { SpeexAECProvider } from '../voice/pipeline/speex-aec.js';

/**
 * The echo canceller `roomkit serve` gives phone calls (SIP and carriers): line and
 * speakerphone echo is cancelled against what the backend played, so the agent does not barge
 * in on itself. Without libspeexdsp the calls run without it, and the log says so once.
 */
export function phoneEchoCanceller(logger: Logger, calls: string): { aec?: SpeexAECProvider } {
  try {
    return { aec: new SpeexAECProvider() };
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, `${calls} run without echo cancellation (libspeexdsp missing)`);
    return {};
  }
}
