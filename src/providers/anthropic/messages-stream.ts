/** Messages API stream events -> AIStreamParts. One instance per streamed request. */
import type { AIStreamPart, AIUsage } from '../../ai/types.js';
import { ProviderError } from '../../core/errors.js';
import { incompleteStreamError } from '../shared/http-errors.js';
import { ToolCallAccumulator } from '../shared/tool-calls.js';
import { mapStopReason, mapUsage } from './messages-mapping.js';
import type { AnthropicStreamEvent } from './wire-types.js';

/** Error types the API uses for passing trouble; anything else will fail again. */
const RETRYABLE_STREAM_ERRORS = new Set([
  'overloaded_error',
  'api_error',
  'rate_limit_error',
  'timeout_error',
]);

export class MessagesStreamTranslator {
  private readonly toolCalls: ToolCallAccumulator;
  private usage: AIUsage = {};
  private stopReason: string | null = null;
  private stopped = false;

  constructor(private readonly provider: string) {
    this.toolCalls = new ToolCallAccumulator(provider);
  }

  *push(event: AnthropicStreamEvent): Generator<AIStreamPart> {
    switch (event.type) {
      case 'message_start':
        this.mergeUsage(event.message.usage);
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use') {
          this.toolCalls.start(event.index, block.id, block.name);
        } else if (block.type === 'text' && block.text) {
          yield { type: 'text-delta', text: block.text };
        }
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') {
          if (delta.text) yield { type: 'text-delta', text: delta.text };
        } else if (delta.type === 'input_json_delta') {
          this.toolCalls.append(event.index, delta.partial_json);
        }
        break;
      }
      case 'content_block_stop': {
        const call = this.toolCalls.finish(event.index);
        if (call) yield { type: 'tool-call', toolCall: call };
        break;
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        this.mergeUsage(event.usage);
        break;
      case 'message_stop':
        this.stopped = true;
        yield { type: 'finish', finishReason: mapStopReason(this.stopReason), usage: this.usage };
        break;
      case 'error':
        throw new ProviderError(this.provider, event.error.message, {
          code: event.error.type,
          retryable: RETRYABLE_STREAM_ERRORS.has(event.error.type),
        });
      default:
        break; // ping, and event types added after this was written
    }
  }

  /** Call when the byte stream ends: without message_stop the answer was cut off. */
  end(): void {
    if (!this.stopped) throw incompleteStreamError(this.provider);
  }

  /** message_delta usage is cumulative, so later numbers replace earlier ones. */
  private mergeUsage(usage: Parameters<typeof mapUsage>[0]): void {
    const mapped = mapUsage(usage);
    if (mapped?.inputTokens !== undefined) this.usage.inputTokens = mapped.inputTokens;
    if (mapped?.outputTokens !== undefined) this.usage.outputTokens = mapped.outputTokens;
  }
}
