/** Small AbortSignal helpers shared by the local STT and TTS streams. */

/** What promise-returning calls reject with when their AbortSignal fires. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * A controller that also aborts when `outer` does. Streams use their own so that a
 * consumer that stops early cancels in-flight work too; `dispose` drops the listener on a
 * long-lived outer signal (a whole call's), which would otherwise grow per stream.
 */
export function linkedAbort(outer?: AbortSignal): { signal: AbortSignal; abort(): void; dispose(): void } {
  const inner = new AbortController();
  const onAbort = () => inner.abort(outer?.reason);
  if (outer?.aborted) inner.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: inner.signal,
    abort: () => inner.abort(),
    dispose: () => outer?.removeEventListener('abort', onAbort),
  };
}

/** The iterator's next item, or undefined as soon as `signal` aborts (even mid-wait). */
export function nextUnlessAborted<T>(
  it: AsyncIterator<T>,
  signal?: AbortSignal,
): Promise<IteratorResult<T> | undefined> {
  if (!signal) return it.next();
  if (signal.aborted) return Promise.resolve(undefined);
  return unlessAborted(rejectOnAbort(it.next(), signal), signal);
}

/** Streams end quietly on abort; real failures still throw. */
export async function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (signal.aborted) return undefined;
    throw err;
  }
}

/**
 * `p`, or a rejection with the abort reason as soon as `signal` fires. The work behind `p`
 * runs on (a native call cannot be stopped); its late failure is swallowed.
 */
export function rejectOnAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
