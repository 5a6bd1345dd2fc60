import type { Tool } from '../ai/tool.js';
import { answerToolCall } from '../ai/tool-call.js';
import type { AIMessage, AIProvider, AIRequest, AIResponse, AIStreamPart, AIToolCall } from '../ai/types.js';
import { idleTimeout, withDeadline } from '../core/deadlines.js';
import { ProviderError } from '../core/errors.js';
import {
  ChannelCategory,
  type ChannelBinding,
  ChannelType,
  HookTrigger,
  type RoomEvent,
} from '../models/index.js';
import { buildConversation } from './ai-context.js';
import { Channel, type ChannelOutput, type DeliveryContext } from './channel.js';

/** Defaults when neither the channel options nor the provider's `deadlines` say otherwise. */
export const DEFAULT_GENERATE_TIMEOUT_MS = 60_000;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 30_000;

export interface AIChannelOptions {
  provider: AIProvider;
  systemPrompt?: string;
  tools?: Tool[];
  /** Model calls per reply when tools keep being called (default 5). */
  maxToolRounds?: number;
  temperature?: number;
  maxTokens?: number;
  /** How many recent room events form the context (default 30). */
  contextEvents?: number;
  /** Stream the reply (live deltas to streaming channels); default: when the provider can. */
  streaming?: boolean;
  /**
   * Longest wait for one non-streamed model answer (default: the provider's
   * `deadlines.generateMs`, else 60 s). Past it the call is aborted and fails as a `timeout`.
   */
  generateTimeoutMs?: number;
  /** Longest silence between two parts of a streamed answer, the first included (default 30 s). */
  streamIdleTimeoutMs?: number;
  /** Tool results longer than this are cut before going back to the model (default 16384). */
  toolResultMaxLength?: number;
}

/**
 * An LLM taking part in a room. Each event it may read becomes a model call with the room's
 * recent history as context; tool calls run here (ON_TOOL_CALL hooks first), bounded by
 * maxToolRounds; the reply re-enters the room's pipeline like any other message. Every model
 * call has a deadline, so a provider that never answers fails the reply instead of holding it.
 */
export class AIChannel extends Channel {
  override readonly category = ChannelCategory.INTELLIGENCE;
  readonly channelType = ChannelType.AI;
  private readonly tools: Map<string, Tool>;

  constructor(
    id: string,
    private readonly opts: AIChannelOptions,
  ) {
    super(id);
    this.tools = new Map((opts.tools ?? []).map((t) => [t.name, t]));
  }

  get provider(): AIProvider {
    return this.opts.provider;
  }

  override async onEvent(
    event: RoomEvent,
    binding: ChannelBinding,
    ctx: DeliveryContext,
  ): Promise<ChannelOutput> {
    if (event.content.type === 'system' || event.type === 'audit') return {};
    const messages = await buildConversation(ctx.kit.store, event.roomId, binding, {
      maxEvents: this.opts.contextEvents ?? 30,
      upToIndex: event.index,
    });
    if (!messages.length) return {};
    const request: AIRequest = {
      messages,
      systemPrompt: this.opts.systemPrompt,
      tools: this.tools.size ? [...this.tools.values()].map((t) => t.definition) : undefined,
      temperature: this.opts.temperature,
      maxTokens: this.opts.maxTokens,
      signal: ctx.signal,
    };
    const streaming = this.opts.streaming ?? this.provider.supportsStreaming;
    if (streaming && this.provider.stream)
      return { responseStream: this.streamReply(request, event.roomId, ctx) };
    const text = await this.generateReply(request, event.roomId, ctx);
    return text ? { responseEvents: [{ content: { type: 'text', body: text } }] } : {};
  }

  private async generateReply(request: AIRequest, roomId: string, ctx: DeliveryContext): Promise<string> {
    const rounds = this.opts.maxToolRounds ?? 5;
    for (let round = 0; ; round++) {
      const response = await this.generateOnce(request);
      if (!response.toolCalls.length || round + 1 >= rounds) return response.text;
      await this.runTools(request, response.text, response.toolCalls, roomId, ctx);
    }
  }

  private async *streamReply(
    request: AIRequest,
    roomId: string,
    ctx: DeliveryContext,
  ): AsyncIterable<string> {
    const rounds = this.opts.maxToolRounds ?? 5;
    for (let round = 0; ; round++) {
      let text = '';
      const calls: AIToolCall[] = [];
      for await (const part of this.streamOnce(request)) {
        if (part.type === 'text-delta') {
          text += part.text;
          yield part.text;
        } else if (part.type === 'tool-call') {
          calls.push(part.toolCall);
        }
      }
      if (!calls.length || round + 1 >= rounds) return;
      await this.runTools(request, text, calls, roomId, ctx);
    }
  }

  /** One non-streamed model call under its deadline (aborted when it passes). */
  private generateOnce(request: AIRequest): Promise<AIResponse> {
    const ms =
      this.opts.generateTimeoutMs ?? this.provider.deadlines?.generateMs ?? DEFAULT_GENERATE_TIMEOUT_MS;
    const call = this.callScope(request);
    return withDeadline(
      this.provider.generate(call.request),
      ms,
      () => call.expire(`no answer within ${ms} ms`),
      this.kit,
    );
  }

  /** One streamed model call, cut when the provider goes quiet for too long. */
  private streamOnce(request: AIRequest): AsyncIterable<AIStreamPart> {
    const ms =
      this.opts.streamIdleTimeoutMs ??
      this.provider.deadlines?.streamIdleMs ??
      DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    const call = this.callScope(request);
    return idleTimeout(
      this.provider.stream!(call.request),
      ms,
      () => call.expire(`the stream was silent for ${ms} ms`),
      this.kit,
    );
  }

  /** A request whose signal also aborts when this call's deadline passes. */
  private callScope(request: AIRequest): { request: AIRequest; expire: (why: string) => ProviderError } {
    const controller = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    return {
      request: { ...request, signal },
      expire: (why) => {
        const error = new ProviderError(this.provider.name, why, { code: 'timeout', retryable: true });
        controller.abort(error);
        return error;
      },
    };
  }

  /** Run the calls (ON_TOOL_CALL hooks, then the Tool) and append the exchange for the next round. */
  private async runTools(
    request: AIRequest,
    text: string,
    calls: AIToolCall[],
    roomId: string,
    ctx: DeliveryContext,
  ): Promise<void> {
    const results: AIMessage[] = [];
    for (const call of calls) {
      const outcome = await answerToolCall({
        hooks: {
          kit: ctx.kit,
          ctx: {
            kit: ctx.kit,
            trigger: HookTrigger.ON_TOOL_CALL,
            roomId,
            room: ctx.room,
            channelId: this.id,
            channelType: this.channelType,
            direction: 'outbound',
            signal: request.signal,
          },
        },
        payload: {
          callId: call.id,
          name: call.name,
          arguments: call.arguments,
          channelType: this.channelType,
          channelId: this.id,
          roomId,
        },
        tool: this.tools.get(call.name),
        context: { roomId, callId: call.id, signal: request.signal },
        maxLength: this.opts.toolResultMaxLength ?? 16_384,
      });
      results.push({
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        content: outcome.result,
        isError: outcome.isError,
      });
    }
    request.messages = [
      ...request.messages,
      { role: 'assistant', content: text, toolCalls: calls },
      ...results,
    ];
  }
}
