import type { Channel } from '../channels/channel.js';
import { HookTrigger, type InboundMessage } from '../models/index.js';
import {
  callResolver,
  type IdentityDecision,
  type IdentityHookPayload,
  type IdentityResolver,
} from './identity.js';
import type { RunOptions } from './inbound-pipeline.js';
import type { RoomState } from './room-state.js';
import type { RoomKit } from './roomkit.js';

/**
 * Runs the identity resolver before the room lock. Identified senders become the event's
 * participant; ambiguous or unknown ones go to the identity hooks, which may resolve,
 * challenge (hold the message and ask the sender), reject, or let it through unidentified.
 */
export class IdentityGate {
  constructor(
    private readonly kit: RoomKit,
    private readonly resolver: IdentityResolver,
    private readonly timeoutMs: number,
  ) {}

  async apply(
    state: RoomState,
    channel: Channel,
    message: InboundMessage,
  ): Promise<{ message: InboundMessage; runOpts: RunOptions }> {
    const ctx = { roomId: state.id, channelId: channel.id };
    const { result, timedOut } = await callResolver(this.resolver, message, ctx, this.timeoutMs);
    let decision: IdentityDecision | undefined;
    if (result.status === 'identified') {
      decision = { kind: 'resolved', participantId: result.participantId, displayName: result.displayName };
    } else {
      const trigger =
        result.status === 'ambiguous' ? HookTrigger.ON_IDENTITY_AMBIGUOUS : HookTrigger.ON_IDENTITY_UNKNOWN;
      const payload: IdentityHookPayload = { message, result, timedOut };
      decision = await this.kit.hooks.runFirst<IdentityHookPayload, IdentityDecision>(trigger, payload, {
        kit: this.kit,
        trigger,
        roomId: state.id,
        room: state.room,
        channelId: channel.id,
        channelType: channel.channelType,
        direction: 'inbound',
      });
    }
    switch (decision?.kind) {
      case 'resolved': {
        await this.kit.addParticipant(state.id, {
          id: decision.participantId,
          displayName: decision.displayName,
          channelId: channel.id,
          identified: true,
        });
        state.participants.add(decision.participantId);
        this.kit.events.emit('identity_resolved', {
          roomId: state.id,
          participantId: decision.participantId,
        });
        if (this.kit.hooks.has(HookTrigger.ON_PARTICIPANT_IDENTIFIED)) {
          this.kit.internals.track(
            this.kit.hooks.runAsync(HookTrigger.ON_PARTICIPANT_IDENTIFIED, decision, {
              kit: this.kit,
              trigger: HookTrigger.ON_PARTICIPANT_IDENTIFIED,
              roomId: state.id,
              channelId: channel.id,
            }),
          );
        }
        return { message: { ...message, senderId: decision.participantId }, runOpts: {} };
      }
      case 'challenge':
        return {
          message,
          runOpts: {
            block: { reason: decision.reason, blockedBy: 'identity' },
            inject: [{ content: decision.content, targetChannelIds: [channel.id] }],
          },
        };
      case 'reject':
        return { message, runOpts: { block: { reason: decision.reason, blockedBy: 'identity' } } };
      default:
        return { message, runOpts: {} };
    }
  }
}
