import { runHistoryAttack } from '../test/server/fixtures/history-attack.js';

/**
 * The issue-8 memory attack against a `roomkit serve` child process: 20 clients each send
 * one `join` asking for 500 events of history in a room of 500 messages of 32,000
 * characters, then stop reading. Reports the server's RSS before and at its peak.
 * Before the fix: 202 MB -> 1,215 MB on the 2-core dev machine.
 */
export async function benchHostileClients(): Promise<Record<string, unknown>> {
  const r = await runHistoryAttack({ clients: 20, history: 500 });
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  return {
    name: 'history-join attack, 20 clients not reading',
    baselineRssMb: mb(r.baselineRss),
    peakRssMb: mb(r.peakRss),
    growthMb: mb(r.growthBytes),
    closedByServer: r.closedByServer,
    wellBehavedAcked: r.wellBehavedAcked,
    durationMs: r.durationMs,
  };
}
