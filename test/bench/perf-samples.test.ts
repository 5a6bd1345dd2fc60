import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePerfScript, threadsBySamples, threadTime } from '../../bench/perf-samples.js';

/**
 * Nine samples of `perf script` from `ROOMKIT_BENCH_PERF` on the voice server at 300 staggered
 * calls (JIT frames named by `perf inject --jit`): a socket read, a writev of held writes, a
 * scavenge, a page fault, JavaScript in timers, in immediates and in a socket's callback, one a
 * GC helper thread took, and one whose stack perf could not unwind.
 */
const fixture = readFileSync(new URL('../fixtures/perf-script-voice-server.txt', import.meta.url), 'utf8');

describe('perf samples', () => {
  it('reads each sample: thread, period, frames leaf first without offsets, kernel frames marked', () => {
    const samples = parsePerfScript(fixture);
    expect(samples).toHaveLength(9);
    const read = samples[0]!;
    expect(read).toMatchObject({ comm: 'node', tid: 12409, periodNs: 250_000 });
    expect(read.frames.slice(0, 5)).toEqual([
      'vfs_read',
      'ksys_read',
      'do_syscall_64',
      'entry_SYSCALL_64_after_hwframe',
      'read',
    ]);
    expect(read.kernel.slice(0, 5)).toEqual([true, true, true, true, false]);
    // JIT frames keep V8's name and position, with our paths made short.
    expect(samples[1]!.frames).toContain('JS:^flushHeldWrites src/voice/held-writes.ts:1:293');
    expect(threadsBySamples(samples)).toEqual([
      { tid: 12409, comm: 'node', samples: 8 },
      { tid: 12412, comm: 'node', samples: 1 },
    ]);
  });

  it('reads the system-wide form too, with a CPU column', () => {
    const text = fixture.replace('node 12409  1254.655960:', 'node 12409 [001]  1254.655960:');
    expect(parsePerfScript(text)).toHaveLength(9);
    expect(parsePerfScript(text)[0]!.frames[0]).toBe('vfs_read');
  });

  it("puts each of a thread's samples in one kind: gc, the syscall, the kernel, or the loop's phase", () => {
    const time = threadTime(parsePerfScript(fixture), 12409, [
      'flushHeldWrites',
      'websocket-voice-connection',
    ]);
    expect(time.samples).toBe(8);
    expect(time.ms).toBe(2);
    const eighth = 0.125;
    expect(time.shares).toEqual({
      'syscall:read': eighth,
      'syscall:writev': eighth,
      gc: eighth,
      kernel: eighth,
      timers: eighth,
      immediates: eighth,
      io: eighth,
      other: eighth,
    });
    // The writev of held writes is in flushHeldWrites (through the connection's release), and
    // two sends went through the connection.
    expect(time.inclusive).toEqual({ flushHeldWrites: eighth, 'websocket-voice-connection': 0.375 });
    // Both sends stopped in the same function.
    expect(time.top[0]).toEqual(['JS:*writeOrBuffer node:internal/streams/writable:548:23', 0.25]);
    expect(time.top.map(([name]) => name)).toContain('vfs_read');
  });

  it('counts nothing for a thread with no samples', () => {
    const time = threadTime(parsePerfScript(fixture), 1, ['say']);
    expect(time).toMatchObject({ samples: 0, ms: 0, shares: {}, inclusive: { say: 0 }, top: [] });
  });
});
