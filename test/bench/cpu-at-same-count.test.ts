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

  it('has no figure when either passed nothing or never ran the count', () => {
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
  });
});
