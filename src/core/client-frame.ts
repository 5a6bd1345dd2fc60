import type { z } from 'zod';

export type ClientFrameError = { code: 'invalid_json' | 'unknown_type' | 'invalid_message'; message: string };

/**
 * Parse one JSON frame a client sent to one of our WebSocket servers, against a
 * discriminated union on `type`. Failures come back as the protocol's error code and a
 * message naming the offending field, never as an exception.
 */
export function parseClientFrame<S extends z.ZodType>(
  text: string,
  schema: S,
  knownTypes: ReadonlySet<string>,
): { ok: true; message: z.infer<S> } | ({ ok: false } & ClientFrameError) {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'message is not valid JSON' };
  }
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (typeof type !== 'string')
    return { ok: false, code: 'invalid_message', message: 'message needs a string "type"' };
  if (!knownTypes.has(type))
    return { ok: false, code: 'unknown_type', message: `unknown message type: ${type.slice(0, 50)}` };
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    code: 'invalid_message',
    message: `${type}: ${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`,
  };
}
