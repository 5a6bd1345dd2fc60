/**
 * Enumerations of the public contract. Each is an `as const` object with string values, so
 * `HookTrigger.BEFORE_BROADCAST === 'before_broadcast'` and values survive JSON round trips.
 */

export const ChannelType = {
  WEBSOCKET: 'websocket',
  SMS: 'sms',
  EMAIL: 'email',
  WHATSAPP: 'whatsapp',
  WEBHOOK: 'webhook',
  AI: 'ai',
  VOICE: 'voice',
  REALTIME_VOICE: 'realtime_voice',
  SYSTEM: 'system',
} as const;
export type ChannelType = (typeof ChannelType)[keyof typeof ChannelType] | (string & {});

export const ChannelCategory = {
  TRANSPORT: 'transport',
  INTELLIGENCE: 'intelligence',
} as const;
export type ChannelCategory = (typeof ChannelCategory)[keyof typeof ChannelCategory];

export const Access = {
  READ_WRITE: 'read_write',
  READ_ONLY: 'read_only',
  WRITE_ONLY: 'write_only',
  NONE: 'none',
} as const;
export type Access = (typeof Access)[keyof typeof Access];

export const RoomStatus = {
  ACTIVE: 'active',
  PAUSED: 'paused',
  CLOSED: 'closed',
  ARCHIVED: 'archived',
} as const;
export type RoomStatus = (typeof RoomStatus)[keyof typeof RoomStatus];

export const EventStatus = {
  PENDING: 'pending',
  DELIVERED: 'delivered',
  BLOCKED: 'blocked',
  FAILED: 'failed',
} as const;
export type EventStatus = (typeof EventStatus)[keyof typeof EventStatus];

export const EventType = {
  MESSAGE: 'message',
  SYSTEM: 'system',
  AUDIT: 'audit',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType] | (string & {});

export const ChannelDirection = {
  INBOUND: 'inbound',
  OUTBOUND: 'outbound',
} as const;
export type ChannelDirection = (typeof ChannelDirection)[keyof typeof ChannelDirection];

export const HookExecution = {
  SYNC: 'sync',
  ASYNC: 'async',
} as const;
export type HookExecution = (typeof HookExecution)[keyof typeof HookExecution];

export const HookTrigger = {
  // Message pipeline
  BEFORE_BROADCAST: 'before_broadcast',
  AFTER_BROADCAST: 'after_broadcast',
  ON_DELIVERY_FAILED: 'on_delivery_failed',
  ON_ERROR: 'on_error',
  // Rooms and channels
  ON_ROOM_CREATED: 'on_room_created',
  ON_ROOM_PAUSED: 'on_room_paused',
  ON_ROOM_CLOSED: 'on_room_closed',
  ON_CHANNEL_ATTACHED: 'on_channel_attached',
  ON_CHANNEL_DETACHED: 'on_channel_detached',
  ON_CHANNEL_MUTED: 'on_channel_muted',
  ON_CHANNEL_UNMUTED: 'on_channel_unmuted',
  ON_PARTICIPANT_JOINED: 'on_participant_joined',
  ON_PARTICIPANT_LEFT: 'on_participant_left',
  // Identity
  ON_IDENTITY_AMBIGUOUS: 'on_identity_ambiguous',
  ON_IDENTITY_UNKNOWN: 'on_identity_unknown',
  ON_PARTICIPANT_IDENTIFIED: 'on_participant_identified',
  // Voice (fired by the voice and realtime channels)
  ON_SPEECH_START: 'on_speech_start',
  ON_SPEECH_END: 'on_speech_end',
  ON_TRANSCRIPTION: 'on_transcription',
  ON_PARTIAL_TRANSCRIPTION: 'on_partial_transcription',
  BEFORE_TTS: 'before_tts',
  AFTER_TTS: 'after_tts',
  ON_BARGE_IN: 'on_barge_in',
  ON_TTS_CANCELLED: 'on_tts_cancelled',
  ON_TOOL_CALL: 'on_tool_call',
  ON_SESSION_STARTED: 'on_session_started',
  ON_SESSION_ENDED: 'on_session_ended',
  ON_DTMF: 'on_dtmf',
  ON_INPUT_AUDIO_LEVEL: 'on_input_audio_level',
  ON_OUTPUT_AUDIO_LEVEL: 'on_output_audio_level',
  ON_TURN_COMPLETE: 'on_turn_complete',
  ON_VAD_SILENCE: 'on_vad_silence',
  ON_RECORDING_STARTED: 'on_recording_started',
  ON_RECORDING_STOPPED: 'on_recording_stopped',
} as const;
export type HookTrigger = (typeof HookTrigger)[keyof typeof HookTrigger];

/** Triggers where a throwing sync hook blocks instead of allowing (safety gates). */
export const FAIL_CLOSED_TRIGGERS: ReadonlySet<HookTrigger> = new Set([
  HookTrigger.ON_TRANSCRIPTION,
  HookTrigger.BEFORE_TTS,
]);
