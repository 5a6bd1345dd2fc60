import { z } from 'zod';

/**
 * Zod schema of Gemini Live (BidiGenerateContent) server messages: one object carrying one
 * or more known keys. Only fields we read are declared; unknown keys pass and are ignored.
 */
const transcription = z.object({ text: z.string().optional(), finished: z.boolean().optional() }).loose();

export const geminiServerMessage = z
  .object({
    setupComplete: z.object({ sessionId: z.string().optional() }).loose().optional(),
    serverContent: z
      .object({
        modelTurn: z
          .object({
            parts: z
              .array(
                z
                  .object({
                    text: z.string().optional(),
                    inlineData: z
                      .object({ mimeType: z.string().optional(), data: z.string() })
                      .loose()
                      .optional(),
                  })
                  .loose(),
              )
              .optional(),
          })
          .loose()
          .optional(),
        turnComplete: z.boolean().optional(),
        generationComplete: z.boolean().optional(),
        interrupted: z.boolean().optional(),
        inputTranscription: transcription.optional(),
        outputTranscription: transcription.optional(),
      })
      .loose()
      .optional(),
    toolCall: z
      .object({
        functionCalls: z.array(
          z
            .object({ id: z.string(), name: z.string(), args: z.record(z.string(), z.unknown()).optional() })
            .loose(),
        ),
      })
      .loose()
      .optional(),
    toolCallCancellation: z
      .object({ ids: z.array(z.string()) })
      .loose()
      .optional(),
    goAway: z.object({ timeLeft: z.string().optional() }).loose().optional(),
    sessionResumptionUpdate: z
      .object({ newHandle: z.string().optional(), resumable: z.boolean().optional() })
      .loose()
      .optional(),
    usageMetadata: z.unknown().optional(),
  })
  .loose();

export type GeminiServerMessage = z.infer<typeof geminiServerMessage>;

export const GEMINI_KNOWN_KEYS = new Set([
  'setupComplete',
  'serverContent',
  'toolCall',
  'toolCallCancellation',
  'goAway',
  'sessionResumptionUpdate',
  'usageMetadata',
]);

/** Protobuf Duration JSON ("50s", "1.5s") to milliseconds. */
export function durationMs(value: string | undefined): number {
  const match = value ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.round(Number(match[1]) * 1000) : 0;
}

/** "audio/pcm;rate=24000" -> 24000 (the documented default when absent). */
export function pcmRate(mimeType: string | undefined): number {
  const match = mimeType ? /rate=(\d+)/.exec(mimeType) : null;
  return match ? Number(match[1]) : 24_000;
}
