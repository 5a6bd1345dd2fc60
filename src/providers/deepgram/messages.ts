import { z } from 'zod';

/** Deepgram `/v1/listen` server messages, validated at the edge (only what we read is required). */
const word = z.object({
  word: z.string(),
  start: z.number(),
  end: z.number(),
  confidence: z.number().optional(),
  punctuated_word: z.string().optional(),
});
const results = z.object({
  type: z.literal('Results'),
  start: z.number(),
  duration: z.number(),
  is_final: z.boolean().optional(),
  speech_final: z.boolean().optional(),
  from_finalize: z.boolean().optional(),
  channel: z.object({
    alternatives: z.array(
      z.object({ transcript: z.string(), confidence: z.number().optional(), words: z.array(word) }),
    ),
  }),
});
const utteranceEnd = z.object({ type: z.literal('UtteranceEnd'), last_word_end: z.number().optional() });
const speechStarted = z.object({ type: z.literal('SpeechStarted'), timestamp: z.number().optional() });
const metadata = z.object({ type: z.literal('Metadata'), request_id: z.string().optional() });

export const deepgramMessage = z.discriminatedUnion('type', [results, utteranceEnd, speechStarted, metadata]);
export type DeepgramMessage = z.infer<typeof deepgramMessage>;
export type DeepgramResults = z.infer<typeof results>;
export const DEEPGRAM_TYPES: ReadonlySet<string> = new Set(
  deepgramMessage.options.map((o) => o.shape.type.value),
);
