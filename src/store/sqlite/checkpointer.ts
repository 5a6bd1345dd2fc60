import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL from a worker thread with its own connection, so the event loop never
 * waits for them. A checkpoint copies the WAL back into the database file and, unless
 * synchronous=off, fsyncs both files; inline (SQLite's auto-checkpoint, inside whichever COMMIT
 * crosses 1000 pages) it stalled every room for the length of two fsyncs, tens of milliseconds
 * on a busy disk. PASSIVE checkpoints never block writers, so commits go on meanwhile.
 *
 * Durability is unchanged: commits are exactly as durable as with inline checkpoints (the
 * worker's connection uses the store's synchronous setting, which decides the checkpoint's
 * fsyncs), and a process killed mid-checkpoint loses nothing (SQLite restarts it from the WAL).
 *
 * The thread starts only once a store has written about CHECKPOINT_PAGES pages: a short-lived
 * store (a test, a CLI command) keeps SQLite's own auto-checkpoint and never pays for a thread.
 */

/** WAL pages between two checkpoints, like SQLite's own default. */
const CHECKPOINT_PAGES = 1000;

/** Pages a batch adds to the WAL, roughly: the room row and the index leaves, plus the rows. */
function pagesOf(events: number): number {
  return 3 + Math.ceil(events / 8);
}
const CLOSE_TIMEOUT_MS = 5_000;

/** The worker: plain CommonJS run with `eval`, so it loads the same way from src and from dist. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('wal_autocheckpoint = 0');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ ok: db.pragma('wal_checkpoint(PASSIVE)')[0] });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

export interface CheckpointerOptions {
  path: string;
  synchronous: string;
  busyTimeoutMs: number;
  /** Turn the main connection's auto-checkpoint off (the thread took over) or back on (it died). */
  setAutoCheckpoint(on: boolean): void;
}

export class Checkpointer {
  private worker?: Worker;
  private pages = 0;
  private inFlight = false;
  /** The thread failed: SQLite's inline auto-checkpoint is back, for good. */
  private failed = false;
  private closing?: Promise<void>;

  constructor(private readonly opts: CheckpointerOptions) {}

  /** A batch of `events` was committed on the main connection. */
  committed(events: number): void {
    if (this.failed || this.closing) return;
    this.pages += pagesOf(events);
    if (this.pages < CHECKPOINT_PAGES || this.inFlight) return;
    this.pages = 0;
    const worker = this.worker ?? this.start();
    if (!worker) return;
    this.inFlight = true;
    worker.postMessage('checkpoint');
  }

  /** Stop the thread (after the checkpoint in progress, if any). */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private start(): Worker | undefined {
    const { path, synchronous, busyTimeoutMs } = this.opts;
    let worker: Worker;
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { driver, path, synchronous, busyTimeoutMs },
      });
    } catch {
      this.fail();
      return undefined;
    }
    // Never the reason a process stays up; a checkpoint cut short by exit is safe.
    worker.unref();
    worker.on('message', (reply: { ok?: unknown; error?: string }) => {
      this.inFlight = false;
      if (reply.error !== undefined) this.fail();
    });
    worker.on('error', () => this.fail());
    worker.on('exit', () => {
      if (!this.closing) this.fail();
    });
    this.worker = worker;
    this.opts.setAutoCheckpoint(false);
    return worker;
  }

  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    this.inFlight = false;
    if (!this.closing) this.opts.setAutoCheckpoint(true);
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
