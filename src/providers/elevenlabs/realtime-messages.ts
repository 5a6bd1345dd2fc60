import { z } from 'zod';

/**
 * Zod schemas of the ElevenLabs Agents server messages the client acts on. Others
 * (`vad_score`, `agent_tool_response`, `internal_*`, ...) are logged at debug and ignored.
 */
const eventId = z.number().int();

export const elevenLabsEventSchemas = {
  conversation_initiation_metadata: z.object({
    conversation_initiation_metadata_event: z
      .object({
        conversation_id: z.string(),
        agent_output_audio_format: z.string().default('pcm_16000'),
        user_input_audio_format: z.string().default('pcm_16000'),
      })
      .loose(),
  }),
  audio: z.object({ audio_event: z.object({ audio_base_64: z.string(), event_id: eventId }).loose() }),
  user_transcript: z.object({ user_transcription_event: z.object({ user_transcript: z.string() }).loose() }),
  tentative_user_transcript: z.object({
    tentative_user_transcription_event: z.object({ user_transcript: z.string() }).loose(),
  }),
  agent_response: z.object({ agent_response_event: z.object({ agent_response: z.string() }).loose() }),
  agent_response_correction: z.object({
    agent_response_correction_event: z.object({ corrected_agent_response: z.string() }).loose(),
  }),
  agent_chat_response_part: z.object({
    text_response_part: z
      .object({ text: z.string().default(''), type: z.enum(['start', 'delta', 'stop']) })
      .loose(),
  }),
  interruption: z.object({ interruption_event: z.object({ event_id: eventId.optional() }).loose() }),
  ping: z.object({ ping_event: z.object({ event_id: eventId, ping_ms: z.number().nullish() }).loose() }),
  client_tool_call: z.object({
    client_tool_call: z
      .object({
        tool_name: z.string(),
        tool_call_id: z.string(),
        parameters: z.record(z.string(), z.unknown()).default({}),
      })
      .loose(),
  }),
  error: z.object({
    error_event: z
      .object({
        code: z.number().optional(),
        message: z.string().nullish(),
        error_type: z.string().nullish(),
        reason: z.string().nullish(),
      })
      .loose(),
  }),
} as const;

export type ElevenLabsEventType = keyof typeof elevenLabsEventSchemas;
export type ElevenLabsEvent<T extends ElevenLabsEventType> = z.infer<(typeof elevenLabsEventSchemas)[T]>;

export function isHandledElevenLabsEvent(type: string): type is ElevenLabsEventType {
  return Object.hasOwn(elevenLabsEventSchemas, type);
}
