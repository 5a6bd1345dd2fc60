import { errorMessage } from '../core/errors.js';
import type { HookContext } from '../core/hooks/types.js';
import type { RoomKit } from '../core/roomkit.js';
import { HookTrigger } from '../models/enums.js';
import type { VoiceSession } from '../voice/types.js';
import type { Tool, ToolContext } from './tool.js';

/**
 * What ON_TOOL_CALL hooks receive. The trigger fires for every tool call a model makes, from
 * an AIChannel and from a RealtimeVoiceChannel alike; `channelType` says which.
 */
export interface ToolCallHookPayload {
  callId: string;
  name: string;
  arguments: Record<string, unknown>;
  /** 'ai' for an AIChannel, 'realtime_voice' for a realtime channel. */
  channelType: string;
  channelId?: string;
  roomId?: string;
  /** The voice session, for calls made by a realtime channel. */
  session?: VoiceSession;
}

export interface ToolCallOutcome {
  /** What goes back to the model. */
  result: string;
  isError: boolean;
  /** Who answered: an ON_TOOL_CALL hook, a Tool's handler, the channel's fallback, or nobody. */
  answeredBy: 'hook' | 'tool' | 'tool_handler' | 'none';
}

/**
 * Answer one tool call a model made. Precedence, most specific first:
 * 1. ON_TOOL_CALL hooks: a hook returning `HookResult.allow({ metadata: { result } })` answers
 *    (apps can intercept, audit or override any tool); a hook that blocks refuses the call;
 * 2. the `Tool` of that name, when it has a handler;
 * 3. the channel's fallback (a realtime channel's `toolHandler`: MCP, dashboard tools...);
 * 4. otherwise an error result saying the tool is unknown.
 * A result that is not a string is sent as JSON, cut to `maxLength`. A throwing handler becomes an
 * error result for the model, so the conversation goes on instead of waiting for an answer.
 */
export async function answerToolCall(opts: {
  /** Where ON_TOOL_CALL hooks run; absent when the channel is not registered with a kit. */
  hooks?: { kit: RoomKit; ctx: HookContext };
  payload: ToolCallHookPayload;
  tool?: Tool;
  /** What the Tool's handler gets besides the arguments. */
  context?: ToolContext;
  fallback?: () => unknown;
  maxLength?: number;
}): Promise<ToolCallOutcome> {
  const { hooks, payload } = opts;
  const max = opts.maxLength ?? Number.POSITIVE_INFINITY;
  const done = (value: unknown, answeredBy: ToolCallOutcome['answeredBy'], isError = false) => ({
    result: truncate(stringify(value), max),
    isError,
    answeredBy,
  });
  try {
    if (hooks?.kit.hooks.has(HookTrigger.ON_TOOL_CALL)) {
      const outcome = await hooks.kit.hooks.runSync(HookTrigger.ON_TOOL_CALL, payload, hooks.ctx);
      if (!outcome.allowed) return done({ error: `tool call refused: ${outcome.reason}` }, 'hook', true);
      if (outcome.metadata.result !== undefined) return done(outcome.metadata.result, 'hook');
    }
    if (opts.tool) return done(await opts.tool.call(payload.arguments, opts.context), 'tool');
    if (opts.fallback) return done(await opts.fallback(), 'tool_handler');
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
