import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HookResult, HookTrigger } from '../../src/index.js';
import { LocalAgentProvider, startServer } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { connectClient } from '../helpers/ws-client.js';

const dir = mkdtempSync(join(tmpdir(), 'rk-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('roomkit serve shuts down gracefully (issue 8)', () => {
  it('stops accepting, finishes the commit in flight and acks it, then closes sockets and the store', async () => {
    const dbPath = join(dir, 'graceful.db');
    const server = await startServer({ port: 0, dbPath, aiProvider: new LocalAgentProvider(), voice: false });
    let entered!: () => void;
    const inHook = new Promise<void>((r) => {
      entered = r;
    });
    server.kit.hook(HookTrigger.BEFORE_BROADCAST, async () => {
      entered();
      await new Promise((r) => setTimeout(r, 500)); // a commit that is slow to finish
      return HookResult.allow();
    });
    const c = await connectClient(`${server.url.replace('http', 'ws')}/ws?token=${server.token}`);
    c.send({ type: 'join', roomId: 'lobby' });
    await c.next('joined');
    const closedWith = new Promise<number>((resolve) => c.socket.once('close', (code) => resolve(code)));
    c.send({
      type: 'message',
      roomId: 'lobby',
      clientId: 'm1',
      content: { type: 'text', body: 'in flight' },
    });
    await inHook;
    const closing = server.close();
    // No new connections once shutdown began.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const ack = await c.next('ack', 10_000);
    expect(ack).toMatchObject({ clientId: 'm1', blocked: false, event: { content: { body: 'in flight' } } });
    expect(await closedWith).toBe(1001);
    await closing;
    const store = new SqliteStore({ path: dbPath });
    const stored = await store.listEvents('lobby');
    expect(stored.map((e) => e.id)).toContain(ack.event.id);
    await store.close();
  }, 30_000);
});
