/**
 * Sockets that hold their writes for the rest of the tick (corked), so what one piece of work
 * sends (a reply's first frames and its control messages, a pacer's batch) leaves in one
 * write. They are let go together when the tick ends, or earlier by `flushHeldWrites`: the
 * voice clock flushes after each task, so the time a slice of sends takes counts the writes.
 */
export interface HeldWrites {
  /** Send what was held. */
  release(): void;
}

const held: HeldWrites[] = [];

/** `writes` holds until the end of this tick (or the next flush); call once per hold. */
export function holdUntilTickEnds(writes: HeldWrites): void {
  if (held.push(writes) === 1) process.nextTick(flushHeldWrites);
}

/** Release every held socket now. */
export function flushHeldWrites(): void {
  if (held.length === 0) return;
  // One socket that fails to write must not leave the others held (they would never be
  // released: a socket asks to be held only when it is not held already).
  for (let i = 0; i < held.length; i++) {
    try {
      held[i]!.release();
    } catch {
      // a socket reports its own failures through its 'error' event
    }
  }
  held.length = 0;
}
