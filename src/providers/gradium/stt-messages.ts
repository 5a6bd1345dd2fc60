import { z } from 'zod';

/** Gradium STT server messages, validated at the edge (extra fields pass through). */
const ready = z.object({
  type: z.literal('ready'),
  request_id: z.string().optional(),
  sample_rate: z.number().optional(),
  frame_size: z.number().optional(),
  delay_in_frames: z.number().optional(),
  client_req_id: z.string().optional(),
});
const text = z.object({
  type: z.literal('text'),
  text: z.string(),
  start_s: z.number(),
  stream_id: z.number().nullish(),
  client_req_id: z.string().optional(),
});
const endText = z.object({
  type: z.literal('end_text'),
  stop_s: z.number(),
  client_req_id: z.string().optional(),
});
const step = z.object({
  type: z.literal('step'),
  vad: z.array(z.object({ horizon_s: z.number(), inactivity_prob: z.number() })),
  step_idx: z.number().optional(),
  total_duration_s: z.number(),
  client_req_id: z.string().optional(),
});
const flushed = z.object({
  type: z.literal('flushed'),
  flush_id: z.union([z.number(), z.string()]),
  client_req_id: z.string().optional(),
});
const endOfStream = z.object({ type: z.literal('end_of_stream'), client_req_id: z.string().optional() });
const error = z.object({
  type: z.literal('error'),
  message: z.string().default(''),
  code: z.number().nullish(),
  client_req_id: z.string().optional(),
});

export const gradiumSttMessage = z.discriminatedUnion('type', [
  ready,
  text,
  endText,
  step,
  flushed,
  endOfStream,
  error,
]);
export type GradiumSttMessage = z.infer<typeof gradiumSttMessage>;
export const GRADIUM_STT_TYPES: ReadonlySet<string> = new Set(
  gradiumSttMessage.options.map((o) => o.shape.type.value),
);
