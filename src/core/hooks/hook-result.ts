import type { EventContent } from '../../models/index.js';

/** An event a hook adds to the room, delivered only to the listed channels. */
export interface InjectedEvent {
  content: EventContent;
  targetChannelIds: readonly string[];
  metadata?: Record<string, unknown>;
}

export type HookAction = 'allow' | 'block' | 'modify';

/**
 * What a sync hook decides. `modify` replaces the payload for later hooks and for the
 * broadcast; `block` stops the chain. Any result may inject events and carry metadata
 * (voice hooks use `metadata.result`, e.g. the answer to a tool call).
 */
export class HookResult<E = unknown> {
  constructor(
    readonly action: HookAction,
    readonly reason?: string,
    readonly event?: E,
    readonly injectedEvents: readonly InjectedEvent[] = [],
    readonly metadata: Record<string, unknown> = {},
  ) {}

  static allow(
    opts: { injectedEvents?: InjectedEvent[]; metadata?: Record<string, unknown> } = {},
  ): HookResult<never> {
    return new HookResult<never>('allow', undefined, undefined, opts.injectedEvents, opts.metadata);
  }

  static block(
    reason: string,
    opts: { injectedEvents?: InjectedEvent[]; metadata?: Record<string, unknown> } = {},
  ): HookResult<never> {
    return new HookResult<never>('block', reason, undefined, opts.injectedEvents, opts.metadata);
  }

  static modify<E>(
    event: E,
    opts: { injectedEvents?: InjectedEvent[]; metadata?: Record<string, unknown> } = {},
  ): HookResult<E> {
    return new HookResult('modify', undefined, event, opts.injectedEvents, opts.metadata);
  }
}
