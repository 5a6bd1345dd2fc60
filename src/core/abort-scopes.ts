/**
 * Child controllers that abort when a long-lived parent signal does (the kit closing), with
 * one listener on the parent for all of them. `AbortSignal.any([parent, child])` per call
 * cost 12-18 us on Node 20, and left a WeakRef on the parent per call until the GC finalised
 * it: a voice turn made three, and a burst of a thousand turns paid for them in stalls.
 * A scope leaves the set when its work is over (`release`), so the set holds only live work.
 */
export class AbortScopes {
  private readonly live = new Set<AbortController>();

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener(
      'abort',
      () => {
        for (const controller of this.live) controller.abort(parent.reason);
        this.live.clear();
      },
      { once: true },
    );
  }

  /** A controller that aborts with the parent (at once if the parent already did). */
  open(): AbortController {
    const controller = new AbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    else this.live.add(controller);
    return controller;
  }

  /** The scope's work is over: the parent closing no longer concerns it. */
  release(controller: AbortController): void {
    this.live.delete(controller);
  }

  /** Scopes still open (for tests and stats). */
  get size(): number {
    return this.live.size;
  }
}

/**
 * Abort `child` when `parent` aborts, until the returned function unlinks them: for a
 * short-lived parent (one call's signal), where one listener costs less than
 * `AbortSignal.any` and leaves nothing behind once unlinked.
 */
export function followAbort(parent: AbortSignal | undefined, child: AbortController): () => void {
  if (!parent) return noop;
  if (parent.aborted) {
    child.abort(parent.reason);
    return noop;
  }
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

const noop = () => {};

/**
 * A signal that aborts when any of `parents` does, until `unlink()`: `AbortSignal.any` for a
 * scope whose end is known (one model call, one reply), without its per-call WeakRefs.
 */
export function linkedSignal(parents: (AbortSignal | undefined)[]): {
  signal: AbortSignal;
  unlink: () => void;
} {
  const controller = new AbortController();
  const unlinks = parents.map((parent) => followAbort(parent, controller));
  return {
    signal: controller.signal,
    unlink: () => {
      for (const unlink of unlinks) unlink();
    },
  };
}
