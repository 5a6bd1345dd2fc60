import { z } from 'zod';
import { AuthenticationError, ProviderError } from '../../core/errors.js';

export const ELEVENLABS = 'elevenlabs';

/** Character timings of one chunk, relative to the chunk (both duration spellings exist in the wild). */
const alignment = z
  .object({
    chars: z.array(z.string()),
    charStartTimesMs: z.array(z.number()),
    charDurationsMs: z.array(z.number()).optional(),
    charsDurationsMs: z.array(z.number()).optional(),
  })
  .nullish();

/**
 * ElevenLabs stream-input messages have no `type`: an audio chunk has `audio`, the end of
 * a context has `isFinal: true`, an error has `error`/`message`. Validated at the edge.
 */
export const elevenLabsMessage = z.object({
  audio: z.string().nullish(),
  isFinal: z.boolean().nullish(),
  is_final: z.boolean().nullish(),
  alignment,
  normalizedAlignment: alignment,
  contextId: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
  code: z.number().optional(),
});
export type ElevenLabsMessage = z.infer<typeof elevenLabsMessage>;

export function isFinalMessage(msg: ElevenLabsMessage): boolean {
  return (msg.isFinal ?? msg.is_final) === true && !msg.audio;
}

/** An error message as a typed error; key problems are AuthenticationError. */
export function elevenLabsError(msg: ElevenLabsMessage): ProviderError | undefined {
  if (!msg.error && !(msg.message && msg.audio === undefined && msg.isFinal === undefined)) return undefined;
  const text = `${msg.error ?? 'error'}: ${msg.message ?? ''}`.trim();
  if (/api[_ ]?key|unauthori[sz]ed|authenticat/i.test(text)) return new AuthenticationError(ELEVENLABS, text);
  return new ProviderError(ELEVENLABS, text, {
    code: msg.error ?? 'server_error',
    // Timeouts and internal errors are fixed by a new socket; schema and policy errors are not.
    retryable: msg.error === 'input_timeout_exceeded' || msg.code === 1011,
  });
}

export function elevenLabsCloseError(code: number, reason: string): ProviderError {
  if (/api[_ ]?key|unauthori[sz]ed/i.test(reason)) return new AuthenticationError(ELEVENLABS, reason);
  return new ProviderError(ELEVENLABS, `connection closed (${code}${reason ? ` ${reason}` : ''})`, {
    code: 'connection_closed',
    retryable: code !== 1008,
  });
}
