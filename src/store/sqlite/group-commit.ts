import { RoomKitError } from '../../core/errors.js';

/**
 * A batch's transaction failed (disk full, I/O error, the database locked by another process
 * past the busy timeout): nothing of the batch is stored, and every caller in it gets this error.
 * Retryable when the cause was a lock (SQLITE_BUSY / SQLITE_LOCKED).
 */
export class SqliteCommitError extends RoomKitError {
  /** Events in the failed transaction (this caller's among them). */
  readonly batchSize: number;

  constructor(batchSize: number, cause: unknown) {
    const code = (cause as { code?: unknown })?.code;
    const busy = typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`sqlite commit of ${batchSize} event(s) failed, nothing stored: ${why}`, {
      code: 'store_commit_failed',
      retryable: busy,
      cause,
    });
    this.batchSize = batchSize;
  }
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes that arrive while the process is busy are committed together, in one
 * transaction, at the next turn of the event loop. A transaction costs far more than a row
 * (locks, the WAL append, and with synchronous=full an fsync), so forty rooms committing at
 * once pay for one transaction instead of forty.
 *
 * Each caller's promise settles only after its batch's transaction committed (or failed): an
 * acknowledged write is as durable as a write committed on its own. `write` applies the batch
 * inside one transaction and returns one entry per item: undefined when the item was written,
 * or the error that refused that item alone (a ValidationError: the others go on). When `write`
 * throws, the transaction rolled back and every item of the batch fails with SqliteCommitError.
 */
export class GroupCommit<T> {
  private waiting: Waiting<T>[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (items: readonly T[]) => (Error | undefined)[],
    /** After each transaction that committed, with its size. */
    private readonly afterCommit: (items: number) => void = () => {},
    /** Largest batch in one transaction; more waiting items make more transactions. */
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once `item` is committed. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushScheduled);
      }
    });
  }

  /** Whether writes are waiting for their transaction. */
  get pending(): boolean {
    return this.waiting.length > 0;
  }

  /** Commit what is waiting now (before another write, so writes keep their order; and at close). */
  flush(): void {
    while (this.waiting.length > 0) {
      const all = this.waiting;
      const batch = all.length > this.maxBatch ? all.slice(0, this.maxBatch) : all;
      this.waiting = all.length > this.maxBatch ? all.slice(this.maxBatch) : [];
      this.commit(batch);
    }
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private commit(batch: Waiting<T>[]): void {
    let outcomes: (Error | undefined)[];
    try {
      outcomes = this.write(batch.map((w) => w.item));
    } catch (cause) {
      const error = new SqliteCommitError(batch.length, cause);
      for (const w of batch) w.reject(error);
      return;
    }
    this.afterCommit(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const refused = outcomes[i];
      if (refused) batch[i]!.reject(refused);
      else batch[i]!.resolve();
    }
  }
}
