/**
 * Tool calls as vendors stream them: an id and name first, then the JSON arguments in
 * fragments keyed by an index. Anthropic keys by content block, OpenAI by tool_calls index.
 */
import { ProviderError } from '../../core/errors.js';
import type { AIToolCall } from '../../ai/types.js';
import { isRecord } from './http-errors.js';

/** Parse a model's JSON arguments; an empty string means no arguments. */
export function parseToolArguments(provider: string, name: string, json: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    // Models occasionally emit broken JSON; asking again usually fixes it.
    throw new ProviderError(provider, `tool call ${name} has invalid JSON arguments: ${json.slice(0, 200)}`, {
      code: 'invalid_tool_arguments',
      retryable: true,
      cause: err,
    });
  }
  if (!isRecord(value)) {
    throw new ProviderError(provider, `tool call ${name} arguments are not a JSON object`, {
      code: 'invalid_tool_arguments',
      retryable: true,
    });
  }
  return value;
}

interface PartialToolCall {
  id: string;
  name: string;
  json: string;
}

export class ToolCallAccumulator {
  private readonly calls = new Map<number, PartialToolCall>();

  constructor(private readonly provider: string) {}

  /** Start a call, or fill in its id/name when they arrive with a later fragment. */
  start(index: number, id: string | null | undefined, name: string | null | undefined): void {
    const call = this.calls.get(index);
    if (call) {
      if (id && !call.id) call.id = id;
      if (name && !call.name) call.name = name;
      return;
    }
    this.calls.set(index, { id: id ?? '', name: name ?? '', json: '' });
  }

  append(index: number, fragment: string): void {
    const call = this.calls.get(index);
    if (!call) this.calls.set(index, { id: '', name: '', json: fragment });
    else call.json += fragment;
  }

  /** Complete one call (Anthropic's content_block_stop) and forget it. */
  finish(index: number): AIToolCall | undefined {
    const call = this.calls.get(index);
    if (!call) return undefined;
    this.calls.delete(index);
    return this.complete(call);
  }

  /** Complete every pending call in index order (OpenAI's finish_reason). */
  finishAll(): AIToolCall[] {
    const indexes = [...this.calls.keys()].sort((a, b) => a - b);
    return indexes.map((index) => this.finish(index)!);
  }

  private complete(call: PartialToolCall): AIToolCall {
    if (!call.id || !call.name) {
      throw new ProviderError(this.provider, 'streamed tool call is missing its id or name', {
        code: 'invalid_response',
        retryable: true,
      });
    }
    return {
      id: call.id,
      name: call.name,
      arguments: parseToolArguments(this.provider, call.name, call.json),
    };
  }
}
