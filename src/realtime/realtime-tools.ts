import { Tool } from '../ai/tool.js';
import { answerToolCall, type ToolCallOutcome } from '../ai/tool-call.js';
import type { HookContext } from '../core/hooks/types.js';
import type { RoomKit } from '../core/roomkit.js';
import type {
  RealtimeChannelTool,
  RealtimeToolContext,
  RealtimeToolHandler,
} from './realtime-channel-types.js';
import type { ToolCallPayload } from './realtime-hooks.js';
import type { RealtimeToolDefinition } from './session.js';

export type { ToolCallOutcome } from '../ai/tool-call.js';

/** The definitions sent to the provider and the handlers run here, from a channel's tools. */
export class RealtimeToolSet {
  readonly definitions: RealtimeToolDefinition[];
  private readonly handlers = new Map<string, Tool>();

  constructor(tools: readonly RealtimeChannelTool[] = []) {
    this.definitions = tools.map((t) => (t instanceof Tool ? t.definition : t));
    for (const t of tools) if (t instanceof Tool && t.handler) this.handlers.set(t.name, t);
  }

  get(name: string): Tool | undefined {
    return this.handlers.get(name);
  }
}

/**
 * Runs one tool call the model made, with the precedence every channel shares (see
 * `answerToolCall`): ON_TOOL_CALL hooks, then the `Tool` of that name, then the channel's
 * `toolHandler`, else an unknown-tool error; results cut to `maxLength`.
 */
export function runToolCall(opts: {
  /** Where ON_TOOL_CALL hooks run; absent when the channel is not registered with a kit. */
  hooks?: { kit: RoomKit; ctx: HookContext };
  payload: ToolCallPayload;
  tools: RealtimeToolSet;
  toolHandler?: RealtimeToolHandler;
  maxLength: number;
}): Promise<ToolCallOutcome> {
  const { payload, toolHandler } = opts;
  const context: RealtimeToolContext = {
    session: payload.session,
    roomId: payload.session.roomId,
    callId: payload.callId,
  };
  return answerToolCall({
    hooks: opts.hooks,
    payload,
    tool: opts.tools.get(payload.name),
    context,
    fallback: toolHandler && (() => toolHandler(payload.name, payload.arguments, context)),
    maxLength: opts.maxLength,
  });
}
