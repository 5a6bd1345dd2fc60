import { describe, expect, it } from 'vitest';
import { flushHeldWrites, holdUntilTickEnds } from '../../src/voice/held-writes.js';

describe('held writes', () => {
  it('are released together when the tick ends, without a flush', async () => {
    const released: string[] = [];
    holdUntilTickEnds({ release: () => released.push('a') });
    holdUntilTickEnds({ release: () => released.push('b') });
    expect(released).toEqual([]);
    // The release was queued at the first hold, so it runs before this tick callback.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(released).toEqual(['a', 'b']);
  });

  it('a flush releases each once, and one that throws does not keep the others held', () => {
    const released: string[] = [];
    holdUntilTickEnds({ release: () => released.push('a') });
    holdUntilTickEnds({
      release: () => {
        throw new Error('socket gone');
      },
    });
    holdUntilTickEnds({ release: () => released.push('c') });
    flushHeldWrites();
    expect(released).toEqual(['a', 'c']);
    holdUntilTickEnds({ release: () => released.push('d') });
    flushHeldWrites();
    flushHeldWrites();
    expect(released).toEqual(['a', 'c', 'd']);
  });
});
