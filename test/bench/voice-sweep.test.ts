import { describe, expect, it } from 'vitest';
import { sweep } from '../../bench/voice-sessions.js';

/**
 * The voice bench's harness, end to end at a size CI can afford: the bare server and the load
 * client as real processes on 127.0.0.1. What `npm run bench -- voice` reports rests on it.
 */
describe('voice bench harness', () => {
  it('measures the calls apart from opening them, counts every reply, and decides a count by majority', async () => {
    const result = await sweep({
      server: 'bare-ws',
      module: 'bare-ws-server.ts',
      mode: 'staggered',
      counts: [12],
      seconds: 3,
      runs: 3,
    });
    // Two passing runs decide the count; the third is not run.
    expect(result.lines).toHaveLength(2);
    expect(result.max).toBe(12);
    expect(result.broken).toEqual([]);
    for (const line of result.lines) {
      expect(line).toMatchObject({ sessions: 12, opened: 12, framesLost: 0, ok: true });
      expect(line.serverOpeningLoopDelayP99Ms).toEqual(expect.any(Number));
      expect(line.serverEventLoopDelayP99Ms).toEqual(expect.any(Number));
      expect(line.machineCalibrationMs).toBeGreaterThan(0);
      // GC over the calls, from the server process itself.
      expect(line.serverGc).toEqual({
        scavenges: expect.any(Number),
        markCompacts: expect.any(Number),
        scavengeMs: expect.any(Number),
        markCompactMs: expect.any(Number),
        incrementalMs: expect.any(Number),
        maxPauseMs: expect.any(Number),
      });
      const replies = line.replies as { expected: number; completed: number; missing: number };
      expect(replies.expected).toBeGreaterThan(0);
      expect(replies.completed).toBeGreaterThanOrEqual(replies.expected);
      expect(replies.missing).toBe(0);
      expect(line.framesReceived).toBeGreaterThan(0);
    }
  }, 90_000);
});
