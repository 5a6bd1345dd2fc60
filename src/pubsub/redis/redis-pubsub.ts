import { Redis, type RedisOptions } from 'ioredis';
import type { PubSub } from '../../core/cluster/pubsub.js';
import { ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

export interface RedisPubSubOptions {
  /** `redis://[:password@]host:6379[/db]` or `rediss://` for TLS (default redis://127.0.0.1:6379). */
  url?: string;
  /**
   * Prefix of every channel name (default 'roomkit'): processes with the same prefix form one
   * cluster, so two clusters (or test runs) can share one Redis.
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
    this.prefix = options.prefix ?? 'roomkit';
    if (!PREFIX.test(this.prefix)) {
      throw new ValidationError(
        `prefix: 1-64 letters, digits or _ . : - (got ${JSON.stringify(this.prefix)})`,
      );
    }
    const url = options.url ?? 'redis://127.0.0.1:6379';
    const common: RedisOptions = {
      connectTimeout: options.connectTimeoutMs ?? 3000,
      // 100 ms, 200 ms, ... then every 2 s, forever: Redis coming back is the normal case.
      retryStrategy: (times) => Math.min(2000, times * 100),
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    };
    this.pub = new Redis(url, { ...common, enableOfflineQueue: false, connectionName: 'roomkit-pub' });
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

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
