/**
 * The Anthropic Messages API wire format: plain types for what we send, loose zod schemas
 * for what we read (only the fields this provider uses are checked).
 */
import { z } from 'zod';

export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

export interface AnthropicMessageParam {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string;
  tools?: Array<{ name: string; description: string; input_schema: Record<string, unknown> }>;
  temperature?: number;
  stream?: boolean;
}

const usageSchema = z
  .object({
    input_tokens: z.number().optional(),
    output_tokens: z.number().optional(),
    cache_creation_input_tokens: z.number().nullish(),
    cache_read_input_tokens: z.number().nullish(),
  })
  .loose();
export type AnthropicUsage = z.infer<typeof usageSchema>;

const KNOWN_BLOCKS = new Set(['text', 'tool_use']);
/**
 * Any kind this provider does not read, folded into one `other` so TS can still narrow on
 * `type`; newer kinds (thinking, server tools...) pass instead of failing validation.
 */
const otherKind = (known: ReadonlySet<string>) =>
  z
    .object({ type: z.string().refine((t) => !known.has(t)) })
    .loose()
    .transform(() => ({ type: 'other' as const }));

/** Text and tool_use are checked; other block kinds pass unread. */
const contentBlockSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }).loose(),
  z
    .object({
      type: z.literal('tool_use'),
      id: z.string(),
      name: z.string(),
      input: z.record(z.string(), z.unknown()),
    })
    .loose(),
  otherKind(KNOWN_BLOCKS),
]);

export const anthropicMessageSchema = z
  .object({
    content: z.array(contentBlockSchema),
    stop_reason: z.string().nullable(),
    usage: usageSchema.optional(),
  })
  .loose();
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

const deltaSchema = z.union([
  z.object({ type: z.literal('text_delta'), text: z.string() }).loose(),
  z.object({ type: z.literal('input_json_delta'), partial_json: z.string() }).loose(),
  otherKind(new Set(['text_delta', 'input_json_delta'])),
]);

export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('message_start'),
      message: z.object({ usage: usageSchema.optional() }).loose(),
    })
    .loose(),
  z
    .object({ type: z.literal('content_block_start'), index: z.number(), content_block: contentBlockSchema })
    .loose(),
  z.object({ type: z.literal('content_block_delta'), index: z.number(), delta: deltaSchema }).loose(),
  z.object({ type: z.literal('content_block_stop'), index: z.number() }).loose(),
  z
    .object({
      type: z.literal('message_delta'),
      delta: z.object({ stop_reason: z.string().nullish() }).loose(),
      usage: usageSchema.optional(),
    })
    .loose(),
  z.object({ type: z.literal('message_stop') }).loose(),
  z.object({ type: z.literal('ping') }).loose(),
  z
    .object({ type: z.literal('error'), error: z.object({ type: z.string(), message: z.string() }).loose() })
    .loose(),
]);
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;

/** Event types the translator understands; newer ones are skipped, not treated as errors. */
export const KNOWN_STREAM_EVENTS: ReadonlySet<string> = new Set(
  anthropicStreamEventSchema.options.map((option) => option.shape.type.value),
);
