import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const writer = fileURLToPath(new URL('../fixtures/sqlite-writer.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'roomkit-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIN_ACKS = 500;

/**
 * Runs a writer fixture, SIGKILLs it once it printed `minAcks` lines (each an acknowledged
 * message), and returns every complete line it printed before dying.
 */
function runAndKill(
  script: string,
  args: string[],
  minAcks: number,
): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? ''; // an unterminated tail is not an acknowledgement
      lines.push(...complete);
      if (!killed && lines.length >= minAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    // 'close' waits for stdout to drain, so lines written before the kill are all counted.
    child.on('close', (code, signal) => {
      if (!killed) reject(new Error(`writer exited (${code}) before ${minAcks} acks: ${stderr}`));
      else resolve({ lines, signal });
    });
  });
}

it('keeps every acknowledged event after the writer is SIGKILLed mid-stream', {
  timeout: 90_000,
}, async () => {
  const dbPath = join(dir, 'crash.db');
  const { lines, signal } = await runAndKill(writer, [dbPath], MIN_ACKS);
  const acked = lines.map(Number);

  // The child really died by the kill, in the middle of writing.
  expect(signal).toBe('SIGKILL');
  expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKS);
  // Acknowledged indices are consecutive: no message was lost or reordered before the kill.
  expect(acked).toEqual(acked.map((_, i) => i + acked[0]!));

  const store = new SqliteStore({ path: dbPath });
  try {
    const events = await store.listEvents('crash');
    const lastAcked = acked[acked.length - 1];
    // Commits that finished after the last line we read may exist too; none may be missing.
    expect(events.length).toBeGreaterThanOrEqual(lastAcked + 1);
    expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
    const room = await store.getRoom('crash');
    expect(room?.eventCount).toBe(events.length);
    expect(room?.lastActivityAt).toBe(events[events.length - 1].createdAt);
    // Message i was acknowledged at index acked[i]; its content, metadata and key survived.
    for (const [i, index] of acked.entries()) {
      const e = events[index];
      expect(e.content).toStrictEqual({ type: 'text', body: `event ${i}` });
      expect(e.metadata).toStrictEqual({ i, pad: 'x'.repeat(i % 200) });
      expect(e.idempotencyKey).toBe(`key-${i}`);
    }
    // The timeline is still writable where the writer stopped.
    const next = events.length;
    await store.addEvent({ ...events[0], id: `after-${next}`, index: next, idempotencyKey: undefined });
    expect(await store.countEvents('crash')).toBe(next + 1);
  } finally {
    await store.close();
  }
});

const groupWriter = fileURLToPath(new URL('../fixtures/sqlite-group-writer.ts', import.meta.url));

for (const synchronous of ['normal', 'full']) {
  it(`group commit, synchronous=${synchronous}: many rooms in each transaction, SIGKILL mid-stream loses no acknowledged event`, {
    timeout: 90_000,
  }, async () => {
    const rooms = 12;
    const dbPath = join(dir, `group-${synchronous}.db`);
    const { lines, signal } = await runAndKill(groupWriter, [dbPath, String(rooms), synchronous], 600);
    const acked: number[][] = Array.from({ length: rooms }, () => []);
    for (const line of lines) {
      const [room, index] = line.split(' ').map(Number);
      acked[room!]!.push(index!);
    }
    expect(signal).toBe('SIGKILL');
    const store = new SqliteStore({ path: dbPath });
    try {
      for (let r = 0; r < rooms; r++) {
        const roomId = `room-${r}`;
        // Each room's acknowledgements are its indices from 0, in order.
        expect(acked[r]).toEqual(acked[r]!.map((_, i) => i));
        const events = await store.listEvents(roomId);
        expect(events.length).toBeGreaterThanOrEqual(acked[r]!.length);
        expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
        expect((await store.getRoom(roomId))?.eventCount).toBe(events.length);
        for (const i of acked[r]!) {
          expect(events[i]!.content).toStrictEqual({ type: 'text', body: `room ${r} event ${i}` });
          expect(events[i]!.idempotencyKey).toBe(`key-${r}-${i}`);
        }
      }
    } finally {
      await store.close();
    }
  });
}
