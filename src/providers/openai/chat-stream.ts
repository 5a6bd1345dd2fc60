/** Chat Completions stream chunks -> AIStreamParts. One instance per streamed request. */
import type { AIFinishReason, AIStreamPart, AIUsage } from '../../ai/types.js';
import { ProviderError } from '../../core/errors.js';
import { incompleteStreamError } from '../shared/http-errors.js';
import { ToolCallAccumulator } from '../shared/tool-calls.js';
import { mapFinishReason, mapUsage } from './chat-mapping.js';
import type { ChatCompletionChunk } from './chat-wire-types.js';

export class ChatStreamTranslator {
  private readonly toolCalls: ToolCallAccumulator;
  private finishReason?: AIFinishReason;
  private usage?: AIUsage;
  private finished = false;

  constructor(private readonly provider: string) {
    this.toolCalls = new ToolCallAccumulator(provider);
  }

  *push(chunk: ChatCompletionChunk): Generator<AIStreamPart> {
    if (chunk.error) {
      throw new ProviderError(this.provider, chunk.error.message ?? 'stream error', {
        code: chunk.error.code ?? chunk.error.type ?? 'provider_error',
        retryable: chunk.error.type === 'server_error',
      });
    }
    if (chunk.usage) this.usage = mapUsage(chunk.usage);
    // Only the first choice matters: roomkit never asks for n > 1.
    const choice = chunk.choices?.find((c) => c.index === 0);
    if (!choice) return;
    const delta = choice.delta ?? {};
    if (delta.content) yield { type: 'text-delta', text: delta.content };
    for (const call of delta.tool_calls ?? []) {
      this.toolCalls.start(call.index, call.id, call.function?.name);
      if (call.function?.arguments) this.toolCalls.append(call.index, call.function.arguments);
    }
    if (choice.finish_reason) {
      this.finishReason = mapFinishReason(choice.finish_reason);
      // Arguments are complete once the choice finishes; the usage chunk may still follow.
      for (const toolCall of this.toolCalls.finishAll()) yield { type: 'tool-call', toolCall };
    }
  }

  /** `data: [DONE]` or the end of the body: emit the one finish part. */
  *end(): Generator<AIStreamPart> {
    if (this.finished) return;
    if (this.finishReason === undefined) throw incompleteStreamError(this.provider);
    this.finished = true;
    yield { type: 'finish', finishReason: this.finishReason, usage: this.usage };
  }
}
