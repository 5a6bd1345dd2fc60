import { errorMessage, RoomKitError } from '../../core/errors.js';

/** A call across the process boundary failed (the other side threw, went away or took too long). */
export class VoiceWorkerError extends RoomKitError {
  constructor(message: string) {
    super(message, { code: 'voice_worker_error', retryable: true });
    this.name = 'VoiceWorkerError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Request/response over a process's IPC channel: `call` sends `{ t: 'call', id, method, args }`
 * and resolves with the matching `reply`; `answer` runs a handler for an incoming call and
 * sends its reply. Every call has a deadline, and all pending calls fail when the peer goes.
 */
export class IpcCalls<M extends string> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly post: (message: unknown) => void,
    private readonly timeoutMs = 10_000,
  ) {}

  call<T>(method: M, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new VoiceWorkerError(`${method} got no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.post({ t: 'call', id, method, args });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new VoiceWorkerError(`${method} could not be sent: ${errorMessage(error)}`));
      }
    });
  }

  /** A `reply` message arrived. */
  settle(reply: { id: number; ok: boolean; value?: unknown; error?: string }): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new VoiceWorkerError(reply.error ?? 'failed'));
  }

  /** Run `handler` for a `call` message and send back its outcome. */
  async answer(id: number, handler: () => unknown): Promise<void> {
    try {
      const value = await handler();
      this.post({ t: 'reply', id, ok: true, value });
    } catch (error) {
      this.post({ t: 'reply', id, ok: false, error: errorMessage(error) });
    }
  }

  /** The peer is gone: every call still waiting fails now. */
  failAll(why: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new VoiceWorkerError(why));
      this.pending.delete(id);
    }
  }
}
