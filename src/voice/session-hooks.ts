import { bindingChanges } from '../core/binding-changes.js';
import type { HookContext } from '../core/hooks/types.js';
import type { RoomKit } from '../core/roomkit.js';
import { Access, type ChannelBinding, type ChannelType, HookTrigger } from '../models/index.js';
import type { VoiceSession } from './types.js';

/** The channel side of a session hook: which kit, which channel. */
export interface SessionHookSource {
  kit: RoomKit | undefined;
  channelId: string;
  channelType: ChannelType;
}

/** The context hooks get for a voice/realtime session event. */
export function sessionHookContext(
  src: SessionHookSource & { kit: RoomKit },
  trigger: HookTrigger,
  session: VoiceSession,
  direction: 'inbound' | 'outbound',
): HookContext {
  return {
    kit: src.kit,
    trigger,
    roomId: session.roomId,
    channelId: src.channelId,
    channelType: src.channelType,
    direction,
    session,
  };
}

/**
 * Run a trigger's async hooks for a session without blocking the audio path: skipped at
 * once when nobody listens, tracked so `kit.waitForIdle()` covers it.
 */
export function fireSessionHook(
  src: SessionHookSource,
  trigger: HookTrigger,
  payload: unknown,
  session: VoiceSession,
  direction: 'inbound' | 'outbound' = 'inbound',
): void {
  const kit = src.kit;
  // The live-sessions gauge counts what the voice and realtime channels report here.
  if (trigger === HookTrigger.ON_SESSION_STARTED)
    kit?.telemetry.sessionChanged(src.channelId, session.id, true);
  else if (trigger === HookTrigger.ON_SESSION_ENDED)
    kit?.telemetry.sessionChanged(src.channelId, session.id, false);
  if (!kit?.hooks.has(trigger)) return;
  kit.internals.track(
    kit.hooks.runAsync(trigger, payload, sessionHookContext({ ...src, kit }, trigger, session, direction)),
  );
}

/**
 * The per-frame binding gate shared by the voice and realtime channels: input flows only
 * while the channel is attached with write access and not muted. Checked on every frame
 * (through InputGate), so a change applies to the next frame.
 */
export function bindingAllowsInput(binding: ChannelBinding | undefined): boolean {
  return (
    binding !== undefined &&
    !binding.muted &&
    (binding.access === Access.READ_WRITE || binding.access === Access.WRITE_ONLY)
  );
}

/** Where the gate reads a session's binding: the kit, or a voice worker's copy of it. */
export interface BindingSource {
  peekBinding(roomId: string, channelId: string): ChannelBinding | undefined;
}

/**
 * bindingAllowsInput for one session's frames, read again only once some binding of the
 * process changed (binding-changes.ts): two map lookups per frame were 4% of a voice
 * server's CPU, cache misses across a thousand rooms.
 */
export class InputGate {
  private readAt = -1;
  private allowed = false;

  constructor(private readonly roomId: string) {}

  /** `channelId`: the channel the session's audio enters by (always the same one). */
  allows(source: BindingSource, channelId: string): boolean {
    if (this.readAt !== bindingChanges.count) {
      this.allowed = bindingAllowsInput(source.peekBinding(this.roomId, channelId));
      this.readAt = bindingChanges.count;
    }
    return this.allowed;
  }
}
