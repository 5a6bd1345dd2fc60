import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { Checkpointer } from '../../src/store/sqlite/checkpointer.js';

/**
 * The SQLite store checkpoints its WAL from a worker thread (a checkpoint fsyncs twice; inline,
 * it stalled the event loop). These run the real thread against a real database file.
 */

const dir = mkdtempSync(join(tmpdir(), 'roomkit-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('copies the WAL into the database file from its own thread, and takes over auto-checkpoint meanwhile', {
  timeout: 30_000,
}, async () => {
  const path = join(dir, 'wal.db');
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(200));
    })();
    const before = statSync(path).size;
    const auto: boolean[] = [];
    const checkpointer = new Checkpointer({
      path,
      synchronous: 'NORMAL',
      busyTimeoutMs: 1_000,
      setAutoCheckpoint: (on) => auto.push(on),
    });
    checkpointer.committed(1); // far below a checkpoint's worth: no thread yet
    expect(auto).toEqual([]);
    checkpointer.committed(10_000);
    expect(auto).toEqual([false]);
    // The rows reach the database file while this connection never checkpointed.
    await until(() => statSync(path).size > before + 200 * 2_000, 'the database file to grow');
    await checkpointer.close();
    expect(auto).toEqual([false]);
  } finally {
    db.close();
  }
});

it('gives auto-checkpoint back to the connection when its thread cannot open the database', {
  timeout: 30_000,
}, async () => {
  const auto: boolean[] = [];
  const checkpointer = new Checkpointer({
    path: join(dir, 'no-such-dir', 'x.db'),
    synchronous: 'NORMAL',
    busyTimeoutMs: 1_000,
    setAutoCheckpoint: (on) => auto.push(on),
  });
  checkpointer.committed(10_000);
  await until(() => auto.length === 2, 'the fallback');
  expect(auto).toEqual([false, true]);
  // Failed for good: no second thread.
  checkpointer.committed(10_000);
  expect(auto).toEqual([false, true]);
  await checkpointer.close();
});
