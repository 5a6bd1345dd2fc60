import type { RealtimeLogger } from './logger.js';

type Listener<T> = (event: T) => void;

/**
 * A small typed event emitter. A throwing listener is logged and skipped, so one bad
 * subscriber never breaks a provider's socket loop or starves the other listeners.
 */
export class TypedEmitter<M extends object> {
  private readonly listeners = new Map<keyof M, Set<Listener<any>>>();

  constructor(protected readonly logger: RealtimeLogger) {}

  on<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => this.off(type, listener);
  }

  off<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    this.listeners.get(type)?.delete(listener);
  }

  protected emit<K extends keyof M>(type: K, event: M[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err, event: String(type) }, 'realtime listener threw');
      }
    }
  }
}
