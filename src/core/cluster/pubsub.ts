/**
 * How kits in several processes hear about each other's rooms: committed events, ephemeral
 * events (typing, presence, receipts, notices), streamed reply text, and room changes. Messages
 * are strings on topics (one topic per room); delivery is best effort and in order per publisher.
 * What a subscriber misses (a broken connection) it catches up from the store by index, so an
 * implementation must say when that may have happened (`onConnectionChange`).
 */
export interface PubSub {
  readonly name: string;
  /** True when messages reach other processes (Redis); false for the in-process bus. */
  readonly distributed: boolean;
  /** Best effort: resolves once sent (or dropped while disconnected); never throws. */
  publish(topic: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * 'down': messages may be lost from now on; 'up': they flow again, and whatever was published
   * in between must be read from the store. Returns the unsubscribe function.
   */
  onConnectionChange?(listener: (state: 'up' | 'down') => void): () => void;
  close(): Promise<void>;
}

/**
 * Pub/sub inside one process. Kits sharing one instance (and one store, lock manager and lease
 * manager) behave as a cluster in a single process, which is how the cluster logic is tested
 * without Redis. Handlers run on a later microtask, like a network delivery would.
 */
export class InMemoryPubSub implements PubSub {
  readonly name = 'memory';
  readonly distributed = false;
  private readonly topics = new Map<string, Set<(message: string) => void>>();
  private readonly listeners = new Set<(state: 'up' | 'down') => void>();
  private connected = true;

  async publish(topic: string, message: string): Promise<void> {
    if (!this.connected) return;
    for (const handler of [...(this.topics.get(topic) ?? [])]) {
      queueMicrotask(() => {
        try {
          handler(message);
        } catch {
          // a failing handler is the subscriber's problem, never the publisher's
        }
      });
    }
  }

  async subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    const mine = (message: string) => handler(message);
    set.add(mine);
    return async () => {
      set.delete(mine);
      if (set.size === 0 && this.topics.get(topic) === set) this.topics.delete(topic);
    };
  }

  onConnectionChange(listener: (state: 'up' | 'down') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Test hook: drop everything published until `connect()`, as a broken connection would. */
  disconnect(): void {
    this.connected = false;
    for (const listener of this.listeners) listener('down');
  }

  connect(): void {
    this.connected = true;
    for (const listener of this.listeners) listener('up');
  }

  /** Nothing to release: kits that share the bus unsubscribe their own topics when they close. */
  async close(): Promise<void> {}
}
