/** What ReusableSocket needs from a socket (MultiplexedSocket fits). */
export interface PooledSocket {
  readonly usable: boolean;
  readonly activeStreams: number;
  ageS(): number;
  close(): void;
}

/**
 * One warm socket shared by consecutive replies. It is replaced when it closed, failed or
 * got too old (vendors cap sessions); a replaced socket finishes the replies it carries.
 * Concurrent callers share one connect attempt.
 */
export class ReusableSocket<S extends PooledSocket> {
  private current?: Promise<S>;

  constructor(
    private readonly open: () => Promise<S>,
    private readonly maxAgeS: number,
  ) {}

  async acquire(): Promise<S> {
    const pending = this.current;
    if (pending) {
      const socket = await pending.catch(() => undefined);
      if (socket?.usable && socket.ageS() < this.maxAgeS) return socket;
      if (this.current === pending) {
        if (socket && socket.activeStreams === 0) socket.close();
        this.current = undefined;
      } else if (this.current) {
        return this.acquire(); // a concurrent caller already opened the replacement
      }
    }
    const opening = this.open();
    this.current = opening;
    opening.catch(() => {
      if (this.current === opening) this.current = undefined;
    });
    return opening;
  }

  async close(): Promise<void> {
    const pending = this.current;
    this.current = undefined;
    (await pending?.catch(() => undefined))?.close();
  }
}
