import type { z } from 'zod';
import type { RealtimeLogger } from '../../realtime/logger.js';

/**
 * Validate one vendor message at the edge. A message that does not match is logged and
 * dropped (undefined), never thrown: a vendor adding or reshaping a field must not kill a call.
 */
export function validateMessage<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  ctx: { provider: string; logger: RealtimeLogger; what: string },
): T | undefined {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  ctx.logger.warn(
    { provider: ctx.provider, what: ctx.what, issues: result.error.issues.slice(0, 3) },
    'malformed realtime message ignored',
  );
  return undefined;
}
