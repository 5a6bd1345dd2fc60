import { LazyAbortController } from './lazy-abort-controller.js';

/** Anything that can abort: a LazyAbortController (no AbortSignal made) or an AbortSignal. */
export type AbortSource = LazyAbortController | AbortSignal | undefined;

/**
 * Child controllers that abort when a long-lived parent signal does (the kit closing), with
 * one listener on the parent for all of them. `AbortSignal.any([parent, child])` per call
 * cost 12-18 us on Node 20, and left a WeakRef on the parent per call until the GC finalised
 * it: a voice turn made three, and a burst of a thousand turns paid for them in stalls.
 * A scope leaves the set when its work is over (`release`), so the set holds only live work.
 */
export class AbortScopes {
  private readonly live = new Set<LazyAbortController>();

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
  open(): LazyAbortController {
    const controller = new LazyAbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    else this.live.add(controller);
    return controller;
  }

  /** The scope's work is over: the parent closing no longer concerns it. */
  release(controller: LazyAbortController): void {
    this.live.delete(controller);
  }

  /** Scopes still open (for tests and stats). */
  get size(): number {
    return this.live.size;
  }
}

/**
 * Abort `child` when `parent` aborts, until the returned function unlinks them: for a
 * short-lived parent (one call's), where one listener costs less than `AbortSignal.any` and
 * leaves nothing behind once unlinked. A LazyAbortController parent is followed without
 * making its signal.
 */
export function followAbort(parent: AbortSource, child: { abort(reason?: unknown): void }): () => void {
  if (!parent) return noop;
  if (parent instanceof LazyAbortController) return parent.onAbort((reason) => child.abort(reason));
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
 * A controller that aborts when any of `parents` does, until `unlink()`: `AbortSignal.any`
 * for a scope whose end is known (one reply), with no signal made until one is read.
 */
export function linkedAbort(parents: AbortSource[]): {
  controller: LazyAbortController;
  unlink: () => void;
} {
  const controller = new LazyAbortController();
  const unlinks = parents.map((parent) => followAbort(parent, controller));
  return {
    controller,
    unlink: () => {
      for (const unlink of unlinks) unlink();
    },
  };
}

/** Internal: how a context hands out its abort without making its AbortSignal. */
export const abortSource = Symbol('roomkit.abortSource');

/** The context's abort to follow: its lazy controller when it has one (ours), else its signal. */
export function abortSourceOf(ctx: { readonly signal?: AbortSignal }): AbortSource {
  const own = (ctx as { [abortSource]?: () => LazyAbortController })[abortSource];
  return own ? own.call(ctx) : ctx.signal;
}
