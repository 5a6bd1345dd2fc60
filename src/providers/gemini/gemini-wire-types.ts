/**
 * The Gemini `generateContent` wire format: plain types for what we send, loose zod schemas
 * for what we read (only the fields this provider uses are checked).
 */
import { z } from 'zod';

export type GeminiPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { functionCall: { id?: string; name: string; args?: Record<string, unknown> }; thoughtSignature?: string }
  | { functionResponse: { id?: string; name: string; response: Record<string, unknown> } };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{
    functionDeclarations: Array<{
      name: string;
      description: string;
      parametersJsonSchema?: Record<string, unknown>;
    }>;
  }>;
  generationConfig?: { temperature?: number; maxOutputTokens?: number };
}

const usageSchema = z
  .object({
    promptTokenCount: z.number().optional(),
    candidatesTokenCount: z.number().optional(),
    thoughtsTokenCount: z.number().optional(),
  })
  .loose();
export type GeminiUsageMetadata = z.infer<typeof usageSchema>;

/**
 * Text and function calls are read, tagged by `kind` so code can narrow on it; other parts
 * (inline data, code execution...) become `other` instead of failing validation.
 */
const responsePartSchema = z.union([
  z
    .object({ text: z.string(), thought: z.boolean().optional() })
    .loose()
    .transform((p) => ({ kind: 'text' as const, text: p.text, thought: p.thought === true })),
  z
    .object({
      functionCall: z.object({
        id: z.string().optional(),
        name: z.string(),
        args: z.record(z.string(), z.unknown()).optional(),
      }),
      thoughtSignature: z.string().optional(),
    })
    .loose()
    .transform((p) => ({ kind: 'call' as const, ...p.functionCall, thoughtSignature: p.thoughtSignature })),
  z
    .object({})
    .loose()
    .transform(() => ({ kind: 'other' as const })),
]);

/** One GenerateContentResponse; a stream sends a sequence of them. */
export const geminiResponseSchema = z
  .object({
    candidates: z
      .array(
        z
          .object({
            content: z
              .object({ parts: z.array(responsePartSchema).optional() })
              .loose()
              .optional(),
            finishReason: z.string().optional(),
          })
          .loose(),
      )
      .optional(),
    promptFeedback: z.object({ blockReason: z.string().optional() }).loose().optional(),
    usageMetadata: usageSchema.optional(),
    responseId: z.string().optional(),
  })
  .loose();
export type GeminiResponse = z.infer<typeof geminiResponseSchema>;
