/**
 * Counts the AbortControllers constructed until `restore()` (each makes its AbortSignal on
 * first read): how tests see that a path makes no signal it does not need.
 */
export function countAbortControllers(): { readonly count: number; restore: () => void } {
  const Original = globalThis.AbortController;
  let count = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      count++;
    }
  };
  return {
    get count() {
      return count;
    },
    restore: () => {
      globalThis.AbortController = Original;
    },
  };
}
