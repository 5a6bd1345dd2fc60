import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { quantile } from '../../bench/quantile.js';

/**
 * When each of the load client's callers' frames arrive (performance.now(), caller by caller),
 * seen by a server that only notes them.
 */
async function frameArrivals(frames: 'aligned' | 'spread', callers: number): Promise<number[][]> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const arrivals = new Map<number, number[]>();
  wss.on('connection', (ws, req) => {
    const caller = Number(new URL(req.url!, 'http://x').searchParams.get('user')!.slice('load'.length));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const msg = JSON.parse(data.toString());
        if (msg.type === 'start') ws.send(JSON.stringify({ type: 'ready', sessionId: `s${caller}` }));
        return;
      }
      const times = arrivals.get(caller) ?? [];
      times.push(performance.now());
      arrivals.set(caller, times);
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/voice`;
  const client = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/voice-load-client.ts', url, String(callers), '1', 'lockstep', '640'],
    { env: { ...process.env, ROOMKIT_BENCH_VOICE_FRAMES: frames }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const kill = setTimeout(() => client.kill('SIGKILL'), 30_000);
  let report = '';
  client.stdout.on('data', (chunk: Buffer) => {
    report += chunk.toString();
    // The report is out: hang up at once instead of after the client's 10 s.
    if (report.includes('"framesSent"')) client.stdin.end('bye\n');
  });
  await once(client, 'exit');
  clearTimeout(kill);
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  const line = JSON.parse(report.trim().split('\n').at(-1)!);
  expect(line).toMatchObject({ framesSent: frames, opened: callers });
  // Each caller's frames of the run's first second (the quiet after it is sent the same way).
  return [...arrivals.entries()].sort((a, b) => a[0] - b[0]).map(([, times]) => times.slice(0, 40));
}

/** A median: a late timer moves some frames, not the caller's beat. */
const median = (xs: number[]) => quantile(xs, 0.5);

/**
 * How long after caller 0's k-th frame caller i's k-th frame arrives, over the run's frames
 * (the median). Every caller starts its cycle on the same tick, so this is caller i's offset
 * within the 20 ms, measured frame by frame: no clock origin, no wrap-around at 20 ms.
 */
function lagBehindFirst(arrivals: number[][]): number[] {
  const first = arrivals[0]!;
  return arrivals.map((times) => median(times.map((t, k) => t - first[k]!)));
}

/**
 * The least-squares line through (caller i, its lag): its slope (ms a caller) and how well it
 * fits (Pearson's r). A busy machine fires the client's 1 ms timer late and sends a few
 * phases together, which moves single lags by milliseconds but not the line through them.
 */
function lagLine(lags: number[]): { slope: number; r: number } {
  const n = lags.length;
  const meanI = (n - 1) / 2;
  const meanLag = lags.reduce((a, b) => a + b, 0) / n;
  let sIL = 0;
  let sII = 0;
  let sLL = 0;
  for (let i = 0; i < n; i++) {
    sIL += (i - meanI) * (lags[i]! - meanLag);
    sII += (i - meanI) ** 2;
    sLL += (lags[i]! - meanLag) ** 2;
  }
  return { slope: sIL / sII, r: sLL === 0 ? 0 : sIL / Math.sqrt(sII * sLL) };
}

describe('voice load client', () => {
  it('sends every caller its frame in the same instant, or spread over the 20 ms when asked', async () => {
    const aligned = lagBehindFirst(await frameArrivals('aligned', 20));
    // One timer sends them all: every caller's k-th frame lands within a few ms of caller 0's.
    expect(Math.max(...aligned.map(Math.abs))).toBeLessThan(5);

    const spread = lagBehindFirst(await frameArrivals('spread', 20));
    // Caller i sends i ms into each 20 ms: lags on a line of about 1 ms a caller, spanning
    // most of the 20 ms. Frames sent at once lie on a line too (in caller order, microseconds
    // apart), so the slope is what tells them apart.
    const line = lagLine(spread);
    expect(line.r).toBeGreaterThan(0.8);
    expect(line.slope).toBeGreaterThan(0.6);
    expect(line.slope).toBeLessThan(1.4);
    expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(10);
  }, 90_000);
});
