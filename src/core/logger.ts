import { pino } from 'pino';
import { redactSecrets } from './redact.js';

/** The logging surface the framework needs; a pino logger fits, and so does a wrapper. */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything: for tests, benchmarks and components given no logger. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** Longest logged string field: vendor error bodies can be pages long. */
const MAX_FIELD = 2000;

/**
 * A log line's string fields with credentials stripped. Vendor errors quote the key they refused
 * and failed requests carry URLs with tokens; every `err: errorMessage(e)` in the framework goes
 * through here, so none of it reaches the log.
 */
function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string') continue;
    const clean = redactSecrets(value, MAX_FIELD);
    if (clean === value) continue;
    out ??= { ...fields };
    out[key] = clean;
  }
  return out ?? fields;
}

/**
 * JSON logs on stderr; level from `level`, else ROOMKIT_LOG_LEVEL, else 'warn' (so libraries
 * stay quiet). String fields and messages are passed through `redactSecrets`.
 */
export function createLogger(name = 'roomkit', level?: string): Logger {
  return pino(
    {
      name,
      level: level ?? process.env.ROOMKIT_LOG_LEVEL ?? 'warn',
      formatters: { log: redactFields },
      hooks: {
        logMethod(args, method) {
          const at = typeof args[0] === 'string' ? 0 : 1;
          if (typeof args[at] === 'string') args[at] = redactSecrets(args[at] as string, MAX_FIELD);
          method.apply(this, args);
        },
      },
    },
    pino.destination(2),
  );
}
