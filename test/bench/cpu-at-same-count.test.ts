import { describe, expect, it } from 'vitest';
import { cpuAtSameCount } from '../../bench/cpu-at-same-count.js';

/** A sweep's step line at `sessions` whose server used `serverCpu` cores. */
const step = (sessions: number, serverCpu: number, bench = 'voice_concurrent_sessions') => ({
  bench,
  sessions,
  serverCpu,
});

describe('CPU of two servers at the same count', () => {
  it('compares the medians of their runs at the larger count both passed', () => {
    const ours = {
      max: 550,
      lines: [
        step(200, 0.3, 'voice_concurrent_sessions_warmup'),
        step(500, 0.6),
        step(550, 0.9),
        step(550, 0.7),
        step(550, 0.8),
        step(600, 1),
      ],
    };
    const bare = {
      max: 850,
      lines: [step(500, 0.35), step(550, 0.4), step(550, 0.5), step(550, 0.45), step(600, 0.5)],
    };
    expect(cpuAtSameCount(ours, bare)).toEqual({ sessions: 550, roomkit: 0.8, bareWs: 0.45, ratio: 1.78 });
    // The other way round: the bare server's limit is the lower one.
    expect(cpuAtSameCount({ ...bare, max: 500 }, ours)).toEqual({
      sessions: 500,
      roomkit: 0.35,
      bareWs: 0.6,
      ratio: 0.58,
    });
  });

  it('takes the largest count both ran when a limit is one the other skipped', () => {
    // Ours went 500, 550, failed 600 and passed the 575 between; the bare server never ran 575.
    const ours = { max: 575, lines: [step(500, 0.6), step(550, 0.7), step(600, 1.1), step(575, 0.8)] };
    const bare = { max: 700, lines: [step(500, 0.3), step(550, 0.4), step(600, 0.45), step(650, 0.5)] };
    expect(cpuAtSameCount(ours, bare)).toEqual({ sessions: 550, roomkit: 0.7, bareWs: 0.4, ratio: 1.75 });
  });

  it('has no figure when either passed nothing or they share no count', () => {
    expect(
      cpuAtSameCount({ max: 0, lines: [step(500, 1)] }, { max: 500, lines: [step(500, 0.5)] }),
    ).toBeUndefined();
    // A warm-up at that count is not a measured run.
    expect(
      cpuAtSameCount(
        { max: 200, lines: [step(200, 0.3, 'voice_concurrent_sessions_warmup')] },
        { max: 500, lines: [step(200, 0.2)] },
      ),
    ).toBeUndefined();
    // A count only the bare server ran, above ours's limit, is not shared.
    expect(
      cpuAtSameCount({ max: 450, lines: [step(450, 0.5)] }, { max: 500, lines: [step(500, 0.4)] }),
    ).toBeUndefined();
  });
});
