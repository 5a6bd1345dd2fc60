import { Batch } from './batch.js';

/** What a batch of messages looks like on the wire. */
export interface IpcBatch<M> {
  t: 'batch';
  messages: M[];
}

/**
 * Messages posted during one turn of the event loop cross the process boundary as one.
 * Each IPC message costs a serialisation and a pipe write of its own: at 300 calls a
 * worker sent 1,400 a second (hooks, metrics, turns, calls), and the writes cost it more than
 * all its calls' audio sends. Posting in the same turn keeps the order; the batch goes out
 * at the end of the turn (`setImmediate`), so a call across waits for the I/O being handled,
 * not for a timer. A lone message crosses as itself.
 */
export class IpcOutbox<M> {
  private readonly batch: Batch<M>;

  constructor(send: (message: M | IpcBatch<M>) => void) {
    this.batch = new Batch<M>(
      (messages) => send(messages.length === 1 ? messages[0]! : { t: 'batch', messages }),
      'turn',
    );
  }

  post(message: M): void {
    this.batch.add(message);
  }

  /** Sends what is queued now (before the process exits, say). */
  flush(): void {
    this.batch.flush();
  }
}
