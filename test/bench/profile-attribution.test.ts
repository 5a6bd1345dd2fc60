import { describe, expect, it } from 'vitest';
import { attribute, type Profile } from '../../bench/profile-attribution.js';

/** root -> a -> b, and root -> (idle); samples name the leaf, deltas in us. */
function profile(samples: [string, number][]): Profile {
  const ids: Record<string, number> = { root: 1, a: 2, b: 3, '(idle)': 4 };
  const node = (name: string, children?: number[]) => ({
    id: ids[name]!,
    callFrame: { functionName: name, url: name === 'root' ? '' : `file:///src/${name}.ts`, lineNumber: 0 },
    children,
  });
  return {
    nodes: [node('root', [2, 4]), node('a', [3]), node('b'), node('(idle)')],
    samples: samples.map(([name]) => ids[name]!),
    timeDeltas: samples.map(([, us]) => us),
  };
}

describe('profile attribution', () => {
  it('charges a sample at most twice the median gap; the rest is off the CPU', () => {
    // Nine samples 200 us apart, then one 8 ms after the one before (the thread was preempted).
    const p = profile([
      ...Array.from({ length: 5 }, (): [string, number] => ['a', 200]),
      ['b', 200],
      ['b', 200],
      ['b', 200],
      ['b', 200],
      ['a', 8000],
    ]);
    const { busyUs, offCpuUs, self, inclusive } = attribute([p]);
    expect(busyUs).toBe(9 * 200 + 400);
    expect(offCpuUs).toBe(8000 - 400);
    expect(self.get('a src/a.ts:1')).toBe(5 * 200 + 400);
    expect(self.get('b src/b.ts:1')).toBe(4 * 200);
    // Inclusive: every sample passes through a; b's only through b.
    expect(inclusive.get('a src/a.ts:1')).toBe(busyUs);
    expect(inclusive.get('b src/b.ts:1')).toBe(800);
  });

  it('leaves idle out, and each profile keeps its own median', () => {
    // The fast profile's 1 ms gap is five of its intervals (off the CPU); the slow one's are its norm.
    const fast = profile([
      ['a', 100],
      ['a', 100],
      ['(idle)', 50_000],
      ['a', 100],
      ['a', 1000],
    ]);
    const slow = profile([
      ['b', 1000],
      ['b', 1000],
      ['b', 1000],
    ]);
    const { busyUs, offCpuUs, self } = attribute([fast, slow]);
    expect(self.get('a src/a.ts:1')).toBe(300 + 200);
    expect(self.get('b src/b.ts:1')).toBe(3000);
    expect(busyUs).toBe(3500);
    expect(offCpuUs).toBe(800);
    expect([...self.keys()].some((k) => k.startsWith('(idle)'))).toBe(false);
  });

  it('counts only the samples taken during the window it is given, the off-CPU rule still over all', () => {
    // Taken at 1,200 .. 2,000 us (startTime 1,000): the window (1,500, 1,900] holds the two b
    // samples, the idle one is at 2,000.
    const p: Profile = {
      ...profile([
        ['a', 200],
        ['a', 200],
        ['b', 200],
        ['b', 200],
        ['(idle)', 200],
      ]),
      startTime: 1_000,
    };
    const { busyUs, idleUs, self } = attribute([p], { during: (at) => at > 1_500 && at <= 1_900 });
    expect(busyUs).toBe(400);
    expect(idleUs).toBe(0);
    expect(self.get('b src/b.ts:1')).toBe(400);
    expect(self.has('a src/a.ts:1')).toBe(false);
    expect(attribute([p], { during: (at) => at > 1_900 }).idleUs).toBe(200);
  });
});
