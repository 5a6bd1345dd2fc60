/**
 * The slice of a pino-style logger the realtime layer uses (structurally the providers'
 * ProviderLogger), so `pino()` or the kit's logger can be passed as it is.
 */
export interface RealtimeLogger {
  debug(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

/** Default: quiet debug; each distinct warning once, as a process warning (a library must not spam). */
export function defaultRealtimeLogger(): RealtimeLogger {
  const seen = new Set<string>();
  return {
    debug() {},
    warn(obj, msg) {
      const key = `${msg} ${safeJson(obj)}`;
      if (seen.has(key)) return;
      seen.add(key);
      process.emitWarning(`roomkit realtime: ${key}`.trim(), { code: 'ROOMKIT_REALTIME' });
    },
  };
}

/** For tests and benchmarks that provoke warnings on purpose. */
export const silentRealtimeLogger: RealtimeLogger = { debug() {}, warn() {} };

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (v instanceof Error ? v.message : v)) ?? '';
  } catch {
    return String(value);
  }
}
