import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { quantile } from '../../bench/quantile.js';

/**
 * Where in each 20 ms the load client's callers send their frames, seen by a server that only
 * notes when each caller's frames arrive (ms into the 20 ms of the first one of the run).
 */
async function framePhases(frames: 'aligned' | 'spread', callers: number): Promise<number[][]> {
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
  const origin = Math.min(...[...arrivals.values()].map((t) => t[0]!));
  // Each caller's frames of the run's first second (the quiet after it is sent the same way).
  return [...arrivals.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, times]) => times.slice(0, 40).map((t) => (t - origin) % 20));
}

/** The median of a caller's frame phases: a late timer moves some frames, not the caller's beat. */
const median = (xs: number[]) => quantile(xs, 0.5);

describe('voice load client', () => {
  it('sends every caller its frame in the same instant, or spread over the 20 ms when asked', async () => {
    const aligned = (await framePhases('aligned', 20)).map(median);
    // One timer sends them all: every caller's frames land within a few ms of each other.
    expect(Math.max(...aligned) - Math.min(...aligned)).toBeLessThan(5);

    const spread = (await framePhases('spread', 20)).map(median);
    // Caller i sends i ms into each 20 ms (on a machine that keeps time within a few ms).
    const offsets = spread.map((phase, i) => (phase - spread[0]! - i + 40) % 20);
    const offBy = offsets.map((d) => Math.min(d, 20 - d));
    expect(median(offBy)).toBeLessThan(3);
    expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(12);
  }, 90_000);
});
