import type { Tool } from '../ai/tool.js';
import type { AIMessage, AIProvider, AIRequest, AIStreamPart, AIToolCall } from '../ai/types.js';
import { errorMessage } from '../core/errors.js';
import { ChannelCategory, type ChannelBinding, ChannelType, type RoomEvent } from '../models/index.js';
import { buildConversation } from './ai-context.js';
import { Channel, type ChannelOutput, type DeliveryContext } from './channel.js';

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
}

/**
 * An LLM taking part in a room. Each event it may read becomes a model call with the room's
 * recent history as context; tool calls run here, bounded by maxToolRounds; the reply
 * re-enters the room's pipeline like any other message.
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
    if (streaming && this.provider.stream) return { responseStream: this.streamReply(request, event.roomId) };
    const text = await this.generateReply(request, event.roomId);
    return text ? { responseEvents: [{ content: { type: 'text', body: text } }] } : {};
  }

  private async generateReply(request: AIRequest, roomId: string): Promise<string> {
    const rounds = this.opts.maxToolRounds ?? 5;
    for (let round = 0; ; round++) {
      const response = await this.provider.generate(request);
      if (!response.toolCalls.length || round + 1 >= rounds) return response.text;
      await this.runTools(request, response.text, response.toolCalls, roomId);
    }
  }

  private async *streamReply(request: AIRequest, roomId: string): AsyncIterable<string> {
    const rounds = this.opts.maxToolRounds ?? 5;
    for (let round = 0; ; round++) {
      let text = '';
      const calls: AIToolCall[] = [];
      for await (const part of this.provider.stream!(request) as AsyncIterable<AIStreamPart>) {
        if (part.type === 'text-delta') {
          text += part.text;
          yield part.text;
        } else if (part.type === 'tool-call') {
          calls.push(part.toolCall);
        }
      }
      if (!calls.length || round + 1 >= rounds) return;
      await this.runTools(request, text, calls, roomId);
    }
  }

  /** Run the calls and append the exchange to the request for the next round. */
  private async runTools(
    request: AIRequest,
    text: string,
    calls: AIToolCall[],
    roomId: string,
  ): Promise<void> {
    const results: AIMessage[] = [];
    for (const call of calls) {
      const tool = this.tools.get(call.name);
      let content: string;
      let isError = false;
      try {
        if (!tool) throw new Error(`unknown tool: ${call.name}`);
        content = await tool.call(call.arguments, { roomId, callId: call.id, signal: request.signal });
      } catch (error) {
        content = `Error: ${errorMessage(error)}`;
        isError = true;
      }
      results.push({ role: 'tool', toolCallId: call.id, name: call.name, content, isError });
    }
    request.messages = [
      ...request.messages,
      { role: 'assistant', content: text, toolCalls: calls },
      ...results,
    ];
  }
}
