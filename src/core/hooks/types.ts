import type {
  ChannelDirection,
  ChannelType,
  HookExecution,
  HookTrigger,
  Room,
  RoomEvent,
} from '../../models/index.js';
import type { ToolCallHookPayload } from '../../ai/tool-call.js';
import type { RoomKit } from '../roomkit.js';

/**
 * Payload type per trigger. Voice and realtime modules add their triggers' payloads by
 * declaration merging (`declare module 'roomkit' { interface HookPayloadMap { ... } }`).
 */
export interface HookPayloadMap {
  before_broadcast: RoomEvent;
  after_broadcast: RoomEvent;
  /**
   * Fired for every tool call, by AIChannel and RealtimeVoiceChannel. Answer with
   * `HookResult.allow({ metadata: { result } })`; block to refuse the call.
   */
  on_tool_call: ToolCallHookPayload;
}

export type HookPayload<T extends HookTrigger> = T extends keyof HookPayloadMap ? HookPayloadMap[T] : any;

export interface HookContext {
  kit: RoomKit;
  trigger: HookTrigger;
  roomId?: string;
  room?: Room;
  /** The channel the payload came from or goes to, when there is one. */
  channelId?: string;
  channelType?: ChannelType;
  direction?: ChannelDirection;
  /**
   * Aborted when the caller stops waiting for this hook: for BEFORE_BROADCAST, when the
   * kit's `processTimeoutMs` passes before the event was committed (nothing will be stored).
   * A hook doing slow work (a moderation API call) should pass it on.
   */
  signal?: AbortSignal;
  /** Free-form extras from the caller (e.g. the voice session). */
  [key: string]: unknown;
}

/**
 * A hook. Sync triggers expect a HookResult (or nothing, meaning allow); the identity
 * triggers expect an IdentityHookResult; async triggers ignore the return value.
 */
export type HookFn<E = any> = (payload: E, ctx: HookContext) => unknown;

export interface HookOptions {
  name?: string;
  /** Lower runs first (default 0); equal priorities run in registration order. */
  priority?: number;
  /** Defaults to 'async' for AFTER_BROADCAST and observation triggers, 'sync' otherwise. */
  execution?: HookExecution;
  /**
   * How long this hook may take (default: the kit's `hookTimeoutMs`, 10 s; `Infinity` for no
   * limit). A sync hook past it counts as a throwing one: allow, except on the fail-closed
   * triggers where it blocks. Hooks that return a plain value (no promise) are never timed.
   */
  timeoutMs?: number;
  channelTypes?: readonly string[];
  channelIds?: readonly string[];
  directions?: readonly ChannelDirection[];
  /** Only for this room (what `kit.addRoomHook` sets). */
  roomId?: string;
}

export interface HookRegistration {
  trigger: HookTrigger;
  fn: HookFn;
  name: string;
  priority: number;
  execution: HookExecution;
  timeoutMs?: number;
  channelTypes?: ReadonlySet<string>;
  channelIds?: ReadonlySet<string>;
  directions?: ReadonlySet<string>;
  roomId?: string;
  order: number;
}
