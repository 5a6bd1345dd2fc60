// roomkit: the core. Vendor providers, stores, voice and the server live behind subpaths.
export * from './ai/index.js';
export * from './channels/channel.js';
export * from './channels/ai-channel.js';
export * from './channels/websocket/index.js';
export * from './channels/messaging/index.js';
export * from './channels/sms/index.js';
export * from './channels/email/index.js';
export * from './channels/whatsapp/index.js';
export * from './channels/webhook/index.js';
export * from './core/errors.js';
export * from './core/ephemeral.js';
export * from './core/framework-events.js';
export * from './core/hooks/hook-result.js';
export type { HookContext, HookFn, HookOptions, HookPayload, HookPayloadMap } from './core/hooks/types.js';
export * from './core/identity.js';
export * from './core/contact-identity.js';
export { InMemoryLockManager, type LockManager } from './core/locks.js';
export type { ClusterOptions } from './core/cluster/cluster-node.js';
export {
  type ClusterCoordination,
  InMemoryLeases,
  type LeaseManager,
  type LeaseTable,
} from './core/cluster/leases.js';
export { InMemoryPubSub, type PubSub } from './core/cluster/pubsub.js';
export { createLogger, type Logger, silentLogger } from './core/logger.js';
export * from './core/resilience/circuit-breaker.js';
export * from './core/resilience/rate-limiter.js';
export * from './core/resilience/retry.js';
export { type AttachOptions, type CreateRoomOptions, RoomKit, type RoomKitOptions } from './core/roomkit.js';
export { ellipsize, transcodeFor } from './core/transcode.js';
export * from './models/index.js';
export * from './store/conversation-store.js';
export { MemoryStore } from './store/memory-store.js';
export * from './voice/types.js';
