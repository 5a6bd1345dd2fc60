import { Redis, type RedisOptions } from 'ioredis';
import type { PubSub } from '../../core/cluster/pubsub.js';
import { RoomKitError, ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { takeUrlParam } from '../../core/url-param.js';

export interface RedisPubSubOptions {
  /** `redis://[:password@]host:6379[/db]` or `rediss://` for TLS (default redis://127.0.0.1:6379). */
  url?: string;
  /**
   * Prefix of every channel name (default: the URL's `?prefix=`, else 'roomkit'): processes with
   * the same prefix form one cluster, so two clusters (or test runs) can share one Redis.
   */
  prefix?: string;
  /** How long one connection attempt may take (default 3000 ms). */
  connectTimeoutMs?: number;
  logger?: Logger;
}

const PREFIX = /^[\w.:-]{1,64}$/;

/**
 * Pub/sub over Redis: one connection publishes, one subscribes (Redis wants a connection of its
 * own for subscriptions). Both reconnect by themselves with backoff; the subscriptions are made
 * again on every reconnect. While a connection is down, publishing drops messages instead of
 * queueing them without bound: `onConnectionChange` reports 'down' and then 'up', and the kit
 * reads what it missed from the store by index, which is the only source of truth anyway.
 */
export class RedisPubSub implements PubSub {
  readonly name = 'redis';
  readonly distributed = true;
  readonly prefix: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly topics = new Map<string, Set<(message: string) => void>>();
  private readonly listeners = new Set<(state: 'up' | 'down') => void>();
  /** Whether a listener has been told 'down' and not yet 'up'. */
  private down = false;
  private closed = false;

  constructor(private readonly options: RedisPubSubOptions = {}) {
    // `?prefix=` is ours, not ioredis's: taken out of the URL.
    const { url, value: prefix } = takeUrlParam(options.url ?? 'redis://127.0.0.1:6379', 'prefix');
    this.prefix = options.prefix ?? prefix ?? 'roomkit';
    if (!PREFIX.test(this.prefix)) {
      throw new ValidationError(
        `prefix: 1-64 letters, digits or _ . : - (got ${JSON.stringify(this.prefix)})`,
      );
    }
    const common: RedisOptions = {
      connectTimeout: options.connectTimeoutMs ?? 3000,
      // 100 ms, 200 ms, ... then every 2 s, forever: Redis coming back is the normal case.
      retryStrategy: (times) => Math.min(2000, times * 100),
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    };
    // Auto-pipelining sends what is published in one tick (an event, a reply's stream deltas) in
    // one write: socket writes were a third of a busy process's CPU without it.
    this.pub = new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      connectionName: 'roomkit-pub',
    });
    // Subscriptions are ours to remake (after 'ready'), so we know when they are active again.
    this.sub = new Redis(url, { ...common, autoResubscribe: false, connectionName: 'roomkit-sub' });
    for (const [role, client] of [
      ['publish', this.pub],
      ['subscribe', this.sub],
    ] as const) {
      client.on('error', (error: Error) => this.warn(role, error));
      client.on('close', () => this.lost());
    }
    this.pub.on('ready', () => void this.recovered());
    this.sub.on('ready', () => void this.resubscribe());
    this.sub.on('message', (channel: string, message: string) => {
      const handlers = this.topics.get(channel.slice(this.prefix.length + 1));
      if (!handlers) return;
      for (const handler of [...handlers]) {
        try {
          handler(message);
        } catch (error) {
          this.warn('handler', error);
        }
      }
    });
  }

  async publish(topic: string, message: string): Promise<void> {
    if (this.closed || this.pub.status !== 'ready') return; // dropped: subscribers catch up from the store
    await this.pub
      .publish(this.channel(topic), message)
      .catch((error: unknown) => this.warn('publish', error));
  }

  async subscribe(topic: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    let handlers = this.topics.get(topic);
    const first = !handlers;
    if (!handlers) this.topics.set(topic, (handlers = new Set()));
    const mine = (message: string) => handler(message);
    handlers.add(mine);
    // While disconnected the subscription is made on reconnect ('ready'), followed by 'up'.
    if (first && this.sub.status === 'ready') {
      await this.sub.subscribe(this.channel(topic)).catch((error: unknown) => this.warn('subscribe', error));
    }
    return async () => {
      handlers.delete(mine);
      if (handlers.size || this.topics.get(topic) !== handlers) return;
      this.topics.delete(topic);
      if (this.sub.status === 'ready') await this.sub.unsubscribe(this.channel(topic)).catch(() => {});
    };
  }

  onConnectionChange(listener: (state: 'up' | 'down') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether both connections are up. */
  get connected(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  /** Resolves once both connections are up; rejects after `timeoutMs` (a start-up check). */
  async ready(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected) {
      if (this.closed) throw new PubSubUnavailableError('the pub/sub is closed');
      if (Date.now() > deadline)
        throw new PubSubUnavailableError(`no connection to Redis within ${timeoutMs} ms`);
      await delay(20);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.topics.clear();
    await Promise.all(
      [this.pub, this.sub].map((client) =>
        Promise.race([client.quit().catch(() => {}), delay(1000)]).then(() => client.disconnect()),
      ),
    );
  }

  private channel(topic: string): string {
    return `${this.prefix}:${topic}`;
  }

  private lost(): void {
    if (this.closed || this.down) return;
    this.down = true;
    this.emit('down');
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.topics.keys()].map((t) => this.channel(t));
    if (channels.length) {
      try {
        await this.sub.subscribe(...channels);
      } catch (error) {
        this.warn('subscribe', error);
        return; // the connection broke again; the next 'ready' tries again
      }
    }
    await this.recovered();
  }

  /** Both connections are back and subscribed: tell the kit to catch up. */
  private async recovered(): Promise<void> {
    if (!this.down || !this.connected || this.closed) return;
    this.down = false;
    this.emit('up');
  }

  private emit(state: 'up' | 'down'): void {
    this.options.logger?.[state === 'down' ? 'warn' : 'info'](
      { pubsub: 'redis', state },
      `redis pub/sub ${state}`,
    );
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch (error) {
        this.warn('listener', error);
      }
    }
  }

  private warn(what: string, error: unknown): void {
    if (this.closed) return;
    this.options.logger?.debug({ pubsub: 'redis', what, err: String(error) }, 'redis pub/sub error');
  }
}

/** Redis did not answer in time (start-up): retryable, like a store that is down. */
export class PubSubUnavailableError extends RoomKitError {
  constructor(message: string) {
    super(`pub/sub unavailable: ${message}`, { code: 'pubsub_unavailable', retryable: true });
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
