/**
 * The little logging providers need. Structurally a subset of pino (and of core's Logger),
 * so any of those can be passed as `logger`.
 */
export interface ProviderLogger {
  debug(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

/** Quiet by default (a library must not spam stderr); warnings go through process warnings once. */
export function defaultProviderLogger(provider: string): ProviderLogger {
  const seen = new Set<string>();
  return {
    debug() {},
    warn(obj, msg) {
      const key = `${msg} ${JSON.stringify(obj)}`;
      if (seen.has(key)) return;
      seen.add(key);
      process.emitWarning(`${provider}: ${msg ?? ''} ${JSON.stringify(obj)}`.trim(), {
        code: 'ROOMKIT_PROVIDER',
      });
    },
  };
}
