import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';

/** Listeners of one kind: several allowed, each unsubscribable, a throwing one logged and skipped. */
export class Listeners<F extends (...args: never[]) => void> {
  private readonly list: F[] = [];

  add(cb: F): () => void {
    this.list.push(cb);
    return () => {
      const i = this.list.indexOf(cb);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  emit(logger: Logger, what: string, ...args: Parameters<F>): void {
    for (const cb of [...this.list]) {
      try {
        cb(...args);
      } catch (error) {
        logger.error({ err: errorMessage(error) }, `${what} listener threw`);
      }
    }
  }
}
