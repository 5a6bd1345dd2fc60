import { pino } from 'pino';

/** The logging surface the framework needs; a pino logger fits, and so does a wrapper. */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * JSON logs on stderr; level from `level`, else ROOMKIT_LOG_LEVEL, else 'warn' (so libraries
 * stay quiet).
 */
export function createLogger(name = 'roomkit', level?: string): Logger {
  return pino({ name, level: level ?? process.env.ROOMKIT_LOG_LEVEL ?? 'warn' }, pino.destination(2));
}
