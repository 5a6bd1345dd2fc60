type Listener = (reason: unknown) => void;

/**
 * An AbortController whose AbortSignal is made only when someone reads `signal`. On Node 20
 * making a signal costs 4-5 us (it builds an EventTarget and sets its prototype), and each
 * listener added to and removed from one about 1 us more: a voice turn that chained five
 * signals paid about 25 us for them. Internal links (a delivery to its reply, a reply to its
 * model call) follow each other through `onAbort` instead; only what reaches a provider or a
 * user's hook needs the real signal.
 */
export class LazyAbortController {
  private controller?: AbortController;
  private listeners?: Listener[];
  aborted = false;
  reason: unknown = undefined;

  /** The real signal, made on first read (already aborted if this was). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts once; later calls are ignored, as AbortController's are. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    // The same default reason as AbortController.abort().
    this.reason =
      reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.controller?.abort(this.reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(this.reason);
  }

  /** Calls `listener` once when this aborts (at once if it has); returns its removal. */
  onAbort(listener: Listener): () => void {
    if (this.aborted) {
      listener(this.reason);
      return noop;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const at = this.listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.listeners!.splice(at, 1);
    };
  }
}

const noop = () => {};
