import type { PubSub } from '../core/cluster/pubsub.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RoomKit } from '../core/roomkit.js';
import type { ConversationStore } from '../store/conversation-store.js';
import { loadSecret } from './auth/secret.js';
import { ADMIN_USER, TokenAuthority } from './auth/tokens.js';
import { ServeError } from './server.js';

/** How long start-up waits for PostgreSQL and Redis before giving up with one clear line. */
const CONNECT_MS = 5000;

/** The console token of a cluster lives this long (a new one is printed at every start). */
export const CLUSTER_CONSOLE_TOKEN_LIFETIME = '7d';

/** `--store` and `--pubsub` as roomkit serve takes them. */
export interface ClusterUrls {
  storeUrl?: string;
  pubsubUrl?: string;
}

/**
 * The store and pub/sub of `roomkit serve --store postgres://... --pubsub redis://...`, opened and
 * checked before anything listens: a database or Redis that does not answer is one line naming it
 * (never its password), not a server that fails on its first message.
 */
export async function openClusterParts(
  urls: ClusterUrls,
  logger?: Logger,
): Promise<{ store?: ConversationStore; pubsub?: PubSub }> {
  let store: ConversationStore | undefined;
  if (urls.storeUrl) {
    const { PostgresStore } = await import('../store/postgres/index.js');
    const pg = new PostgresStore({ connectionString: urls.storeUrl, connectTimeoutMs: CONNECT_MS });
    try {
      await pg.init();
    } catch (error) {
      await pg.close();
      throw new ServeError(
        `cannot use PostgreSQL at ${safeUrl(urls.storeUrl)}: ${errorMessage(error)}`,
        'store_unavailable',
        error,
      );
    }
    store = pg;
  }
  let pubsub: PubSub | undefined;
  if (urls.pubsubUrl) {
    const { RedisPubSub } = await import('../pubsub/redis/index.js');
    const redis = new RedisPubSub({ url: urls.pubsubUrl, connectTimeoutMs: CONNECT_MS, logger });
    try {
      await redis.ready(CONNECT_MS);
    } catch (error) {
      await redis.close();
      await store?.close();
      throw new ServeError(
        `cannot reach Redis at ${safeUrl(urls.pubsubUrl)}: ${errorMessage(error)}`,
        'pubsub_unavailable',
        error,
      );
    }
    pubsub = redis;
  }
  return { store, pubsub };
}

/**
 * The console token of a process in a cluster: an `admin` token for every room signed with the
 * cluster's shared secret, so the console URL any process prints works on every process (a
 * load balancer may send the console to another one). The secret must be shared: ROOMKIT_SECRET
 * (or the `secret` option) on every process; a random per-process secret is refused.
 */
export async function clusterConsoleToken(secret?: string | Uint8Array): Promise<string> {
  const loaded = loadSecret({ secret });
  if (loaded.source === 'ephemeral') {
    throw new ServeError(
      'a cluster needs ROOMKIT_SECRET (32+ characters), the same on every process: tokens issued by one process must be accepted by all',
      'secret_required',
    );
  }
  return new TokenAuthority(loaded.key).issue({
    user: ADMIN_USER,
    rooms: '*',
    expires: CLUSTER_CONSOLE_TOKEN_LIFETIME,
  });
}

/**
 * One log line when a room pauses or closes (its inactivity timers, or an operator): in a cluster
 * only the room's owner does either, so the lines say which process acted, once.
 */
export function logRoomLifecycle(kit: RoomKit): void {
  for (const name of ['room_paused', 'room_closed'] as const) {
    kit.on(name, ({ room }) =>
      kit.logger.info({ roomId: room.id, status: room.status }, name.replace('_', ' ')),
    );
  }
}

/** A connection URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(malformed URL)';
  }
}
