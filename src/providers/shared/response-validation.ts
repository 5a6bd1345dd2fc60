/**
 * Vendor answers are bytes from outside: check their shape with zod before reading them, so a
 * changed or broken answer becomes a typed ProviderError instead of a TypeError deep inside.
 * Schemas are loose (unknown fields pass) and list only what the provider reads.
 */
import type { z } from 'zod';
import { ProviderError } from '../../core/errors.js';

export function validateResponse<S extends z.ZodType>(
  provider: string,
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ProviderError(provider, `unexpected ${what}: ${issues}`, {
    code: 'invalid_response',
    retryable: false,
    cause: value,
  });
}

/** JSON.parse with an error naming the vendor; a cut-off or garbled payload is worth a retry. */
export function parseJSONPayload(provider: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ProviderError(provider, `${what} is not JSON: ${text.slice(0, 200)}`, {
      code: 'invalid_response',
      retryable: true,
      cause: err,
    });
  }
}
