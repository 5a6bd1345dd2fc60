import { z } from 'zod';

/** Gradium TTS server messages, validated at the edge. */
const common = { client_req_id: z.string().optional() };
const ready = z.object({ type: z.literal('ready'), sample_rate: z.number().optional(), ...common });
const audio = z.object({
  type: z.literal('audio'),
  audio: z.string(),
  start_s: z.number().optional(),
  stop_s: z.number().optional(),
  ...common,
});
const text = z.object({
  type: z.literal('text'),
  text: z.string(),
  start_s: z.number(),
  stop_s: z.number().optional(),
  ...common,
});
const endOfStream = z.object({ type: z.literal('end_of_stream'), ...common });
const needMoreText = z.object({ type: z.literal('need_more_text'), ...common });
const error = z.object({
  type: z.literal('error'),
  message: z.string().default(''),
  code: z.number().nullish(),
  ...common,
});

export const gradiumTtsMessage = z.discriminatedUnion('type', [
  ready,
  audio,
  text,
  endOfStream,
  needMoreText,
  error,
]);
export type GradiumTtsMessage = z.infer<typeof gradiumTtsMessage>;
export const GRADIUM_TTS_TYPES: ReadonlySet<string> = new Set(
  gradiumTtsMessage.options.map((o) => o.shape.type.value),
);
