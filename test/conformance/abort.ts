import { expect } from 'vitest';

/**
 * The shared abort check of the STT and TTS suites: take the first item of a stream, abort,
 * and count what still arrives (nothing may). An AbortError ending the stream is fine.
 */
export async function itemsAfterAbort<T>(
  stream: AsyncIterable<T>,
  controller: AbortController,
): Promise<number> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  expect(first.done).toBe(false);
  controller.abort();
  let after = 0;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      after++;
    }
  } catch (err) {
    expect((err as Error).name).toMatch(/Abort/);
  }
  return after;
}
