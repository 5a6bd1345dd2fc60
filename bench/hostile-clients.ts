import { runHistoryAttack } from '../test/server/fixtures/history-attack.js';

/**
 * The issue-8 memory attack against a `roomkit serve` child process: 20 clients each send
 * one `join` asking for 500 events of history in a room of 500 messages of 32,000
 * characters, then stop reading. Reports the server's RSS before and at its peak.
 * The same attack over HTTP pipelines 10 requests for 500 events per connection.
 * Before the fix: /ws 202 MB -> 1,215 MB, HTTP 149 MB -> 569 MB on the 2-core dev machine.
 */
export async function benchHostileClients(): Promise<Record<string, unknown>[]> {
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const lines: Record<string, unknown>[] = [];
  for (const via of ['ws', 'http'] as const) {
    const r = await runHistoryAttack({ clients: 20, history: 500, via });
    lines.push({
      name:
        via === 'ws'
          ? 'history attack over /ws: 20 clients join with history 500, then stop reading'
          : 'history attack over HTTP: 20 clients pipeline 10 requests for 500 events, never read',
      baselineRssMb: mb(r.baselineRss),
      peakRssMb: mb(r.peakRss),
      growthMb: mb(r.growthBytes),
      closedByServer: r.closedByServer,
      wellBehavedAcked: r.wellBehavedAcked,
      durationMs: r.durationMs,
    });
  }
  return lines;
}
