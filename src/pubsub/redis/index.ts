/** roomkit/pubsub/redis: cross-process events for a cluster of kits (`ioredis`). */
export { PubSubUnavailableError, RedisPubSub, type RedisPubSubOptions } from './redis-pubsub.js';
