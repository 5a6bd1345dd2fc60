import { ValidationError } from '../../core/errors.js';

/** The rates the audio layer converts between (telephony, wideband, TTS and studio rates). */
export const SUPPORTED_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
export type SupportedSampleRate = (typeof SUPPORTED_SAMPLE_RATES)[number];

export function isSupportedSampleRate(rate: number): rate is SupportedSampleRate {
  return (SUPPORTED_SAMPLE_RATES as readonly number[]).includes(rate);
}

export function assertSupportedSampleRate(
  rate: number,
  what = 'sample rate',
): asserts rate is SupportedSampleRate {
  if (!isSupportedSampleRate(rate)) {
    throw new ValidationError(
      `unsupported ${what} ${rate} Hz (supported: ${SUPPORTED_SAMPLE_RATES.join(', ')})`,
    );
  }
}
