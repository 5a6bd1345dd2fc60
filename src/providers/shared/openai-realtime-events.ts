import { z } from 'zod';

/**
 * Zod schemas of the server events the OpenAI-family realtime clients act on (OpenAI GA and
 * xAI, which copies its vocabulary). Only the fields we read are declared; extra fields pass.
 * Event types not listed here are logged at debug level and ignored.
 */

const errorBody = z.object({
  type: z.string().nullish(),
  code: z.string().nullish(),
  message: z.string().nullish(),
  param: z.string().nullish(),
  event_id: z.string().nullish(),
});

const itemRef = z.object({ item_id: z.string().optional() });

export const openAIRealtimeEventSchemas = {
  'session.created': z.object({ session: z.object({ id: z.string().optional() }).loose() }),
  'conversation.created': z.object({ conversation: z.object({ id: z.string().optional() }).loose() }),
  'session.updated': z.object({ session: z.record(z.string(), z.unknown()) }),
  error: z.object({ error: errorBody }),
  'input_audio_buffer.speech_started': itemRef,
  'input_audio_buffer.speech_stopped': itemRef,
  'conversation.item.input_audio_transcription.delta': z.object({ item_id: z.string(), delta: z.string() }),
  'conversation.item.input_audio_transcription.completed': z.object({
    item_id: z.string(),
    transcript: z.string(),
  }),
  'conversation.item.input_audio_transcription.failed': z.object({ item_id: z.string(), error: errorBody }),
  'response.created': z.object({ response: z.object({ id: z.string() }).loose() }),
  'response.output_audio.delta': z.object({ item_id: z.string(), delta: z.string() }),
  'response.output_audio_transcript.delta': z.object({ item_id: z.string(), delta: z.string() }),
  'response.output_audio_transcript.done': z.object({
    item_id: z.string(),
    transcript: z.string().optional(),
  }),
  'response.function_call_arguments.done': z.object({
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  'response.done': z.object({
    response: z
      .object({
        id: z.string(),
        status: z.enum(['completed', 'cancelled', 'failed', 'incomplete', 'in_progress']),
        status_details: z
          .object({ reason: z.string().nullish(), error: errorBody.nullish() })
          .loose()
          .nullish(),
      })
      .loose(),
  }),
  'conversation.item.truncated': z.object({ item_id: z.string(), audio_end_ms: z.number() }),
} as const;

export type OpenAIRealtimeEventType = keyof typeof openAIRealtimeEventSchemas;
export type OpenAIRealtimeEvent<T extends OpenAIRealtimeEventType> = z.infer<
  (typeof openAIRealtimeEventSchemas)[T]
>;
export type OpenAIRealtimeErrorBody = z.infer<typeof errorBody>;

export function isHandledOpenAIEvent(type: string): type is OpenAIRealtimeEventType {
  return Object.hasOwn(openAIRealtimeEventSchemas, type);
}

export const envelopeSchema = z.object({ type: z.string() }).loose();
