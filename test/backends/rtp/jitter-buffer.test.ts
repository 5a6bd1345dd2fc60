import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterEntry } from '../../../src/backends/rtp/index.js';
import { ManualClock } from '../../../src/voice/pacer.js';

function setup(
  opts: { minDepthMs?: number; maxDepthMs?: number; initialDepthMs?: number; maxPackets?: number } = {},
) {
  const clock = new ManualClock(1000);
  const out: (number | string)[] = [];
  const jb = new JitterBuffer<string>(
    {
      release: (e: JitterEntry<string>) => out.push(e.item),
      lost: (seq) => out.push(`lost:${seq & 0xffff}`),
    },
    { clock, ...opts },
  );
  return { clock, out, jb };
}

describe('JitterBuffer', () => {
  it('releases in-order packets at once (no added latency on a clean network)', () => {
    const { jb, out } = setup();
    jb.insert(10, 0, 'a');
    jb.insert(11, 160, 'b');
    expect(out).toEqual(['a', 'b']);
  });

  it('puts reordered packets back in order', () => {
    const { jb, out, clock } = setup();
    jb.insert(1, 0, 'a');
    jb.insert(3, 320, 'c');
    clock.advance(5);
    jb.insert(2, 160, 'b');
    expect(out).toEqual(['a', 'b', 'c']);
    expect(jb.stats().reordered).toBe(1);
    expect(jb.stats().lost).toBe(0);
  });

  it('drops duplicates', () => {
    const { jb, out } = setup();
    jb.insert(1, 0, 'a');
    jb.insert(3, 320, 'c');
    jb.insert(3, 320, 'c-again');
    jb.insert(1, 0, 'a-again');
    expect(out.filter((x) => typeof x === 'string' && x.includes('again'))).toEqual([]);
    expect(jb.stats().duplicates).toBe(1);
    expect(jb.stats().late).toBe(1); // 'a' again: its slot was already played
  });

  it('conceals a lost packet once the depth has passed, then goes on', () => {
    const { jb, out, clock } = setup({ initialDepthMs: 40 });
    jb.insert(1, 0, 'a');
    jb.insert(3, 320, 'c');
    clock.advance(39);
    expect(out).toEqual(['a']);
    clock.advance(2);
    expect(out).toEqual(['a', 'lost:2', 'c']);
    expect(jb.stats().lost).toBe(1);
  });

  it('grows its depth after reordering deeper than it was, and after a late packet', () => {
    const { jb, clock } = setup({ initialDepthMs: 20, maxDepthMs: 300 });
    jb.insert(1, 0, 'a');
    jb.insert(3, 320, 'c');
    clock.advance(15);
    jb.insert(2, 160, 'b'); // waited 15 ms: fits
    expect(jb.depthMs).toBe(25);
    jb.insert(5, 640, 'e');
    clock.advance(30); // 4 is declared lost at 25 ms
    const before = jb.depthMs;
    jb.insert(4, 480, 'd'); // too late: depth jumps
    expect(jb.stats().late).toBe(1);
    expect(jb.depthMs).toBeGreaterThan(before);
  });

  it('decays its depth on a clean network', () => {
    const { jb, clock } = setup({ initialDepthMs: 200, minDepthMs: 20, maxDepthMs: 200 });
    let seq = 0;
    for (let t = 0; t < 10_000; t += 20) {
      jb.insert(seq++, seq * 160, 'x');
      clock.advance(20);
    }
    expect(jb.depthMs).toBeLessThan(100);
    expect(jb.depthMs).toBeGreaterThanOrEqual(20);
  });

  it('handles sequence wrap-around', () => {
    const { jb, out } = setup();
    jb.insert(65534, 0, 'a');
    jb.insert(0, 320, 'c');
    jb.insert(65535, 160, 'b');
    expect(out).toEqual(['a', 'b', 'c']);
  });

  it('stays bounded: a flood of future packets never holds more than maxPackets', () => {
    const { jb, out } = setup({ maxPackets: 10, initialDepthMs: 10_000, maxDepthMs: 10_000 });
    jb.insert(0, 0, 'first');
    for (let s = 2; s < 200; s++) jb.insert(s, s * 160, `p${s}`);
    expect(jb.stats().held).toBeLessThanOrEqual(10);
    expect(out).toContain('lost:1');
    expect(out.at(-1)).toBe('p199');
  });

  it('resynchronises on a jump no reordering explains (a restarted sender)', () => {
    const { jb, out } = setup();
    jb.insert(100, 0, 'a');
    jb.insert(30_000, 0, 'b');
    jb.insert(30_001, 0, 'c');
    expect(out).toEqual(['a', 'b', 'c']);
    expect(jb.stats().resyncs).toBe(1);
  });

  it('conceals at most a short run after a long outage and counts the rest', () => {
    const { jb, out, clock } = setup({ initialDepthMs: 20 });
    jb.insert(0, 0, 'a');
    jb.insert(300, 0, 'b');
    clock.advance(25);
    expect(out.filter((x) => String(x).startsWith('lost')).length).toBe(10);
    expect(jb.stats().lost).toBe(299);
    expect(out.at(-1)).toBe('b');
  });
});
