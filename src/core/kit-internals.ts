import type { AbortScopes } from './abort-scopes.js';
import type { Channel, ChannelOutput } from '../channels/channel.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import type { ChannelBinding, RoomEvent } from '../models/index.js';
import type { ConversationStore } from '../store/conversation-store.js';
import type { FrameworkEvents } from './framework-events.js';
import type { HookEngine } from './hooks/hook-engine.js';
import type { LockManager } from './locks.js';
import type { Logger } from './logger.js';
import type { CircuitBreaker } from './resilience/circuit-breaker.js';
import type { RateLimiter } from './resilience/rate-limiter.js';
import type { RetryPolicy } from './resilience/retry.js';
import type { RoomState } from './room-state.js';
import type { RoomKit } from './roomkit.js';
import type { EventTraceLog } from './telemetry/event-traces.js';
import type { KitTelemetry } from './telemetry/kit-telemetry.js';

/**
 * What the pipeline pieces (pipeline, broadcaster, responders) need from the kit, kept as
 * an explicit interface so each piece can be read and tested without the whole facade.
 */
export interface KitInternals {
  readonly kit: RoomKit;
  readonly store: ConversationStore;
  readonly locks: LockManager;
  readonly hooks: HookEngine;
  readonly events: FrameworkEvents;
  readonly logger: Logger;
  readonly retryPolicy: RetryPolicy;
  readonly maxChainDepth: number;
  readonly processTimeoutMs?: number;
  /** Default deadline of one `deliver` call (transports). */
  readonly deliveryTimeoutMs: number;
  /** Default deadline of one `onEvent` call (intelligence channels). */
  readonly intelligenceTimeoutMs: number;
  /** Longest silence between two chunks of a streamed reply. */
  readonly replyIdleTimeoutMs: number;
  /** Aborted when the kit closes. */
  readonly signal: AbortSignal;
  /** Controllers of work in flight, aborted together when the kit closes (see AbortScopes). */
  readonly scopes: AbortScopes;
  lookupChannel: (id: string) => Channel | undefined;
  limiterFor(channel: Channel): RateLimiter | undefined;
  breakerFor(channelId: string): CircuitBreaker;
  /** Keep a background promise counted until it settles (for waitForIdle). */
  track(work: Promise<unknown>): void;
  /** An intelligence channel answered: re-enter its replies. */
  handleOutput(
    state: RoomState,
    channel: Channel,
    binding: ChannelBinding,
    trigger: RoomEvent,
    output: ChannelOutput,
  ): Promise<void>;
  /** Called after each commit (room timers, activity). */
  touched(state: RoomState, event: RoomEvent): void;
  /** OpenTelemetry spans and metrics (no-ops until an SDK is registered). */
  readonly telemetry: KitTelemetry;
  /** Per-event hook and delivery traces for inspectors, when the kit keeps them. */
  readonly eventTraces?: EventTraceLog;
  /** This process's part in a cluster (`RoomKitOptions.pubsub`); undefined for a kit on its own. */
  readonly cluster?: ClusterNode;
}
