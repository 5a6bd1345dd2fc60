import type { z } from 'zod';
import type { ProviderLogger } from './provider-logger.js';

/**
 * Parses one provider message at the edge. Bad JSON, unknown message types and known types
 * with an unexpected shape are logged and dropped: a vendor adding a message must never
 * crash a live call.
 */
export function parseProviderMessage<S extends z.ZodType>(
  schema: S,
  raw: string,
  logger: ProviderLogger,
  knownTypes?: ReadonlySet<string>,
): z.infer<S> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    logger.warn({ raw: raw.slice(0, 200) }, 'ignoring a message that is not JSON');
    return undefined;
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (knownTypes && typeof type === 'string' && !knownTypes.has(type)) {
    logger.warn({ type }, 'ignoring an unknown message type');
  } else {
    logger.warn({ type, issues: result.error.issues.slice(0, 3) }, 'ignoring a malformed message');
  }
  return undefined;
}
