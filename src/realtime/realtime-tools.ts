import { Tool } from '../ai/tool.js';
import { errorMessage } from '../core/errors.js';
import type { HookContext } from '../core/hooks/types.js';
import type { RoomKit } from '../core/roomkit.js';
import { HookTrigger } from '../models/index.js';
import type {
  RealtimeChannelTool,
  RealtimeToolContext,
  RealtimeToolHandler,
} from './realtime-channel-types.js';
import type { ToolCallPayload } from './realtime-hooks.js';
import type { RealtimeToolDefinition } from './session.js';

export interface ToolCallOutcome {
  result: string;
  isError: boolean;
  /** Who answered: an ON_TOOL_CALL hook, a Tool's handler, the toolHandler, or nobody. */
  answeredBy: 'hook' | 'tool' | 'tool_handler' | 'none';
}

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
 * Runs one tool call the model made. Precedence, most specific first:
 * 1. ON_TOOL_CALL hooks: a hook that returns `metadata.result` answers (apps can intercept,
 *    audit or override any tool); a hook that blocks refuses the call (an error result);
 * 2. the `Tool` of that name, when it has a handler;
 * 3. the channel's `toolHandler` (MCP, vendor-dashboard tools, custom dispatch);
 * 4. otherwise an error result saying the tool is unknown.
 * Results are cut to `maxLength`; a throwing handler becomes an error result for the model,
 * so the conversation goes on instead of waiting forever for an answer.
 */
export async function runToolCall(opts: {
  /** Where ON_TOOL_CALL hooks run; absent when the channel is not registered with a kit. */
  hooks?: { kit: RoomKit; ctx: HookContext };
  payload: ToolCallPayload;
  tools: RealtimeToolSet;
  toolHandler?: RealtimeToolHandler;
  maxLength: number;
}): Promise<ToolCallOutcome> {
  const { hooks, payload } = opts;
  const done = (value: unknown, answeredBy: ToolCallOutcome['answeredBy'], isError = false) => ({
    result: truncate(stringify(value), opts.maxLength),
    isError,
    answeredBy,
  });
  try {
    if (hooks?.kit.hooks.has(HookTrigger.ON_TOOL_CALL)) {
      const outcome = await hooks.kit.hooks.runSync(HookTrigger.ON_TOOL_CALL, payload, hooks.ctx);
      if (!outcome.allowed) return done({ error: `tool call refused: ${outcome.reason}` }, 'hook', true);
      if (outcome.metadata.result !== undefined) return done(outcome.metadata.result, 'hook');
    }
    const context: RealtimeToolContext = {
      session: payload.session,
      roomId: payload.session.roomId,
      callId: payload.callId,
    };
    const tool = opts.tools.get(payload.name);
    if (tool) return done(await tool.call(payload.arguments, context), 'tool');
    if (opts.toolHandler) {
      return done(await opts.toolHandler(payload.name, payload.arguments, context), 'tool_handler');
    }
    return done({ error: `unknown tool: ${payload.name}` }, 'none', true);
  } catch (error) {
    return done({ error: errorMessage(error) }, 'none', true);
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const MARK = '…[truncated]';

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max > MARK.length ? text.slice(0, max - MARK.length) + MARK : text.slice(0, max);
}
