import { describe, expect, it } from 'vitest';
import { runHistoryAttack } from './fixtures/history-attack.js';

describe('memory stays bounded under hostile clients (server in a child process)', () => {
  it('20 clients that ask for 500 events of large history and stop reading grow RSS by under 50 MB', async () => {
    // Issue 8: this attack grew the server from 233 MB to 1.11 GB (one 16 MB frame per join).
    const result = await runHistoryAttack({ clients: 20, history: 500 });
    expect(result.wellBehavedAcked).toBe(true);
    expect(result.growthBytes).toBeLessThan(50 * 1024 * 1024);
  }, 120_000);

  it('20 clients that pipeline requests for 500 large events over HTTP and stop reading grow RSS by under 50 MB', async () => {
    // The same attack on GET /api/rooms/:id/events: 4 MiB pages, every pipelined request at once: +420 MB.
    const result = await runHistoryAttack({ clients: 20, via: 'http' });
    expect(result.wellBehavedAcked).toBe(true);
    expect(result.growthBytes).toBeLessThan(50 * 1024 * 1024);
  }, 120_000);
});
