import type { Channel, ChannelOutput, ResponseEvent } from '../channels/channel.js';
import type { ChannelBinding, RoomEvent } from '../models/index.js';
import { idleTimeout } from './deadlines.js';
import { errorMessage, TimeoutError } from './errors.js';
import { reportIntelligenceFailure } from './failure-notice.js';
import { newId } from './ids.js';
import type { EventDraft, InboundPipeline } from './inbound-pipeline.js';
import { validateProducedContent } from './inbound-validation.js';
import type { KitInternals } from './kit-internals.js';
import type { RoomState } from './room-state.js';
import { canSee } from './visibility.js';

/**
 * Turns an intelligence channel's output into new room events. Replies re-enter the full
 * pipeline one level deeper in the chain, so hooks, gates and the chain-depth limit apply
 * to AI messages exactly as to human ones. Delivery of the reply is not awaited here: a
 * reply's targets may include another AI whose own reply would wait on this one.
 */
export class Responder {
  constructor(
    private readonly kit: KitInternals,
    private readonly pipeline: InboundPipeline,
  ) {}

  async handle(
    state: RoomState,
    channel: Channel,
    binding: ChannelBinding,
    trigger: RoomEvent,
    output: ChannelOutput,
  ): Promise<void> {
    for (const [i, response] of (output.responseEvents ?? []).entries()) {
      let draft: EventDraft;
      try {
        draft = this.draft(channel, binding, trigger, response, `responseEvents[${i}].content`);
      } catch (error) {
        // A reply that is not valid content is the channel's bug: reported, never stored.
        this.kit.logger.warn(
          { roomId: state.id, channelId: channel.id, err: errorMessage(error) },
          'invalid reply',
        );
        this.kit.events.emit('channel_error', { channelId: channel.id, error, roomId: state.id });
        continue;
      }
      await this.pipeline.run(state, draft, { awaitDelivery: false });
    }
    if (output.responseStream)
      await this.consumeStream(state, channel, binding, trigger, output.responseStream);
  }

  private async consumeStream(
    state: RoomState,
    channel: Channel,
    binding: ChannelBinding,
    trigger: RoomEvent,
    stream: AsyncIterable<string>,
  ): Promise<void> {
    const streamId = newId('stream');
    const viewers = state
      .readers(this.kit.lookupChannel)
      .filter(
        (r) =>
          r.channel.capabilities.streaming &&
          (r.binding.channelId !== channel.id || r.channel.capabilities.multiplexed) &&
          canSee({ visibility: binding.visibility } as RoomEvent, r.binding),
      );
    let text = '';
    let failed: unknown;
    const push = async (delta: string, done: boolean) => {
      this.kit.cluster?.streamDelta({
        roomId: state.id,
        streamId,
        text: delta,
        done,
        sourceChannelId: channel.id,
      });
      for (const viewer of viewers) {
        try {
          await viewer.channel.deliverStreamDelta({
            roomId: state.id,
            streamId,
            text: delta,
            done,
            sourceChannelId: channel.id,
          });
        } catch (error) {
          this.kit.events.emit('channel_error', { channelId: viewer.channel.id, error, roomId: state.id });
        }
      }
    };
    // A stream that stops producing is cut, so a stalled provider cannot hold the reply forever.
    const idleMs = this.kit.replyIdleTimeoutMs;
    const guarded = idleTimeout(
      stream,
      idleMs,
      () => new TimeoutError(`reply stream of ${channel.id}`, idleMs),
      this.kit.kit,
    );
    try {
      for await (const delta of guarded) {
        if (typeof delta !== 'string' || !delta) continue;
        text += delta;
        await push(delta, false);
      }
    } catch (error) {
      failed = error;
      this.kit.events.emit('channel_error', { channelId: channel.id, error, roomId: state.id });
      reportIntelligenceFailure(this.kit, state.id, channel, error);
    }
    await push('', true);
    if (!text) return;
    const metadata: Record<string, unknown> = { streamId };
    if (failed) metadata.incomplete = true;
    await this.pipeline.run(
      state,
      this.draft(channel, binding, trigger, { content: { type: 'text', body: text }, metadata }),
      { awaitDelivery: false },
    );
  }

  private draft(
    channel: Channel,
    binding: ChannelBinding,
    trigger: RoomEvent,
    response: ResponseEvent,
    field = 'content',
  ): EventDraft {
    return {
      source: {
        channelId: channel.id,
        channelType: channel.channelType,
        participantId: binding.participantId,
      },
      content: validateProducedContent(response?.content, field),
      chainDepth: trigger.chainDepth + 1,
      visibility: response.visibility ?? binding.visibility,
      metadata: response.metadata ?? {},
      responseTo: trigger.id,
    };
  }
}
