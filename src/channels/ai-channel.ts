import type { Context, Span } from '@opentelemetry/api';
import type { Tool } from '../ai/tool.js';
import { answerToolCall } from '../ai/tool-call.js';
import type {
  AIMessage,
  AIProvider,
  AIRequest,
  AIResponse,
  AIStreamPart,
  AIToolCall,
  AIUsage,
} from '../ai/types.js';
import { abortSourceOf, followAbort, linkedAbort } from '../core/abort-scopes.js';
import { LazyAbortController } from '../core/lazy-abort-controller.js';
import { idleTimeout, withDeadline } from '../core/deadlines.js';
import { ProviderError } from '../core/errors.js';
import { fail } from '../core/telemetry/inbound-trace.js';
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
  /** Replies being generated, per room: what `stop(roomId)` aborts. */
  private readonly generating = new Map<string, Set<LazyAbortController>>();

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
    const stop = this.startGenerating(event.roomId);
    // The model calls end with the delivery (its deadline, the kit closing) or when stopped.
    // Each model call makes the only AbortSignal of the chain (the one its provider gets).
    const linked = linkedAbort([abortSourceOf(ctx), stop]);
    const reply: Reply = {
      request: {
        messages,
        systemPrompt: this.opts.systemPrompt,
        tools: this.tools.size ? [...this.tools.values()].map((t) => t.definition) : undefined,
        temperature: this.opts.temperature,
        maxTokens: this.opts.maxTokens,
      },
      abort: linked.controller,
      roomId: event.roomId,
      ctx,
    };
    const streaming = this.opts.streaming ?? this.provider.supportsStreaming;
    if (streaming && this.provider.stream)
      return { responseStream: this.streamReply(reply, stop, linked.unlink) };
    try {
      const text = await this.generateReply(reply);
      return text ? { responseEvents: [{ content: { type: 'text', body: text } }] } : {};
    } catch (error) {
      // Stopped on purpose (`stop`): no reply, and no failure to report.
      if (stop.aborted) return {};
      throw error;
    } finally {
      linked.unlink();
      this.doneGenerating(event.roomId, stop);
    }
  }

  /**
   * Stop the replies being generated in a room now (a user's "stop" button): the model calls
   * are aborted; a streamed reply ends where it is (the text so far is kept as the reply), a
   * reply that was not streamed is dropped. Neither counts as a failure. Returns how many
   * replies were stopped.
   */
  stop(roomId: string): number {
    const running = this.generating.get(roomId);
    if (!running) return 0;
    for (const controller of running)
      controller.abort(new ProviderError(this.provider.name, 'stopped', { code: 'stopped' }));
    this.generating.delete(roomId);
    return running.size;
  }

  /** Replies being generated in a room now. */
  generatingIn(roomId: string): number {
    return this.generating.get(roomId)?.size ?? 0;
  }

  private startGenerating(roomId: string): LazyAbortController {
    const controller = new LazyAbortController();
    let running = this.generating.get(roomId);
    if (!running) this.generating.set(roomId, (running = new Set()));
    running.add(controller);
    return controller;
  }

  private doneGenerating(roomId: string, controller: LazyAbortController): void {
    const running = this.generating.get(roomId);
    if (running?.delete(controller) && running.size === 0) this.generating.delete(roomId);
  }

  private async generateReply(reply: Reply): Promise<string> {
    const rounds = this.opts.maxToolRounds ?? 5;
    for (let round = 0; ; round++) {
      const response = await this.generateOnce(reply, round);
      if (!response.toolCalls.length || round + 1 >= rounds) return response.text;
      await this.runTools(reply, response.text, response.toolCalls);
    }
  }

  private async *streamReply(
    reply: Reply,
    stop: LazyAbortController,
    unlink: () => void,
  ): AsyncIterable<string> {
    const rounds = this.opts.maxToolRounds ?? 5;
    try {
      for (let round = 0; ; round++) {
        let text = '';
        const calls: AIToolCall[] = [];
        for await (const part of this.streamOnce(reply, round, stop)) {
          if (part.type === 'text-delta') {
            text += part.text;
            yield part.text;
          } else if (part.type === 'tool-call') {
            calls.push(part.toolCall);
          }
        }
        if (stop.aborted || !calls.length || round + 1 >= rounds) return;
        await this.runTools(reply, text, calls);
      }
    } catch (error) {
      // Stopped on purpose: the reply ends here, with what was said so far.
      if (stop.aborted) return;
      throw error;
    } finally {
      unlink();
      this.doneGenerating(reply.roomId, stop);
    }
  }

  /** One non-streamed model call under its deadline (aborted when it passes). */
  private async generateOnce(reply: Reply, round: number): Promise<AIResponse> {
    const ms =
      this.opts.generateTimeoutMs ?? this.provider.deadlines?.generateMs ?? DEFAULT_GENERATE_TIMEOUT_MS;
    const call = this.callScope(reply);
    const span = this.callSpan(reply.ctx.traceContext, reply.roomId, round, false);
    try {
      const response = await withDeadline(
        this.provider.generate(call.request),
        ms,
        () => call.expire(`no answer within ${ms} ms`),
        this.kit,
      );
      if (span) endCall(span, response.finishReason, response.usage);
      return response;
    } catch (error) {
      if (span) endCall(span, undefined, undefined, error);
      throw error;
    } finally {
      call.done();
    }
  }

  /**
   * One streamed model call, cut when the provider goes quiet for too long, and ended at once
   * by `stopped` (a provider that does not watch its signal cannot hold a stopped reply).
   */
  private async *streamOnce(
    reply: Reply,
    round: number,
    stopped: LazyAbortController,
  ): AsyncIterable<AIStreamPart> {
    const ms =
      this.opts.streamIdleTimeoutMs ??
      this.provider.deadlines?.streamIdleMs ??
      DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    const call = this.callScope(reply);
    const span = this.callSpan(reply.ctx.traceContext, reply.roomId, round, true);
    const parts = idleTimeout(
      this.provider.stream!(call.request),
      ms,
      () => call.expire(`the stream was silent for ${ms} ms`),
      this.kit,
    )[Symbol.asyncIterator]();
    let unstop = noop;
    const stop = new Promise<IteratorResult<AIStreamPart>>((resolve) => {
      unstop = stopped.onAbort(() => resolve({ done: true, value: undefined }));
    });
    let finish: AIStreamPart | undefined;
    try {
      for (;;) {
        const next = await Promise.race([parts.next(), stop]);
        if (next.done) break;
        if (next.value.type === 'finish') finish = next.value;
        yield next.value;
      }
      if (span)
        endCall(
          span,
          stopped.aborted ? 'stopped' : finish?.type === 'finish' ? finish.finishReason : undefined,
          finish?.type === 'finish' ? finish.usage : undefined,
        );
    } catch (error) {
      if (span) endCall(span, undefined, undefined, error);
      throw error;
    } finally {
      unstop();
      call.done();
      void parts.return?.(undefined)?.catch?.(() => {});
    }
  }

  /** The model call's span (under the delivery's), when the kit traces. */
  private callSpan(
    parent: Context | undefined,
    roomId: string,
    round: number,
    streamed: boolean,
  ): Span | undefined {
    if (!parent) return undefined;
    return this.kit?.telemetry.startAICall(parent, this.provider, {
      'roomkit.room.id': roomId,
      'roomkit.channel.id': this.id,
      'roomkit.ai.streamed': streamed,
      'roomkit.ai.tool_round': round,
    });
  }

  /** The reply's request with a signal that also aborts when this call's deadline passes; `done` when the call is over. */
  private callScope(reply: Reply): {
    request: AIRequest;
    expire: (why: string) => ProviderError;
    done: () => void;
  } {
    const controller = new AbortController();
    const done = followAbort(reply.abort, controller);
    return {
      done,
      request: { ...reply.request, signal: controller.signal },
      expire: (why) => {
        const error = new ProviderError(this.provider.name, why, { code: 'timeout', retryable: true });
        controller.abort(error);
        return error;
      },
    };
  }

  /** Run the calls (ON_TOOL_CALL hooks, then the Tool) and append the exchange for the next round. */
  private async runTools(reply: Reply, text: string, calls: AIToolCall[]): Promise<void> {
    const { request, roomId, ctx } = reply;
    // Hooks and tools get the reply's signal (made here, the first time a tool is called).
    const signal = reply.abort.signal;
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
            signal,
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
        context: { roomId, callId: call.id, signal },
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

/** One reply being generated: its request (messages grow with tool rounds), its abort, its delivery. */
interface Reply {
  request: AIRequest;
  /** Aborts with the delivery (deadline, kit closing) or `stop()`; each model call follows it. */
  abort: LazyAbortController;
  roomId: string;
  ctx: DeliveryContext;
}

const noop = () => {};

/** End a model call's span: why it finished, the tokens it used, or its error. */
function endCall(span: Span, finishReason?: string, usage?: AIUsage, error?: unknown): void {
  if (finishReason) span.setAttribute('gen_ai.response.finish_reasons', [finishReason]);
  if (usage?.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', usage.inputTokens);
  if (usage?.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', usage.outputTokens);
  if (error !== undefined) fail(span, error);
  span.end();
}
