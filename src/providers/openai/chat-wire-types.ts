/**
 * The OpenAI Chat Completions wire format: plain types for what we send, loose zod schemas
 * for what we read (only the fields this provider uses are checked).
 */
import { z } from 'zod';

export interface ChatToolCallParam {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessageParam =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCallParam[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessageParam[];
  tools?: Array<{
    type: 'function';
    function: { name: string; description: string; parameters: Record<string, unknown> };
  }>;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

const usageSchema = z
  .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() })
  .loose()
  .nullish();
export type ChatUsage = z.infer<typeof usageSchema>;

const toolCallSchema = z
  .object({
    id: z.string(),
    type: z.string().optional(),
    function: z.object({ name: z.string(), arguments: z.string() }).loose(),
  })
  .loose();

export const chatCompletionSchema = z
  .object({
    choices: z.array(
      z
        .object({
          index: z.number().optional(),
          message: z
            .object({ content: z.string().nullish(), tool_calls: z.array(toolCallSchema).nullish() })
            .loose(),
          finish_reason: z.string().nullish(),
        })
        .loose(),
    ),
    usage: usageSchema,
  })
  .loose();
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

const toolCallDeltaSchema = z
  .object({
    index: z.number(),
    id: z.string().nullish(),
    function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).loose().nullish(),
  })
  .loose();

/** Compatible servers vary: `choices` may be null or absent on the usage chunk. */
export const chatCompletionChunkSchema = z
  .object({
    choices: z
      .array(
        z
          .object({
            index: z.number(),
            delta: z
              .object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish() })
              .loose()
              .nullish(),
            finish_reason: z.string().nullish(),
          })
          .loose(),
      )
      .nullish(),
    usage: usageSchema,
    /** Some OpenAI-compatible servers report a failure mid-stream this way. */
    error: z
      .object({ message: z.string().nullish(), type: z.string().nullish(), code: z.string().nullish() })
      .loose()
      .nullish(),
  })
  .loose();
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
