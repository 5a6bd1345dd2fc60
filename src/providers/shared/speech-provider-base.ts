/**
 * The seed's provider properties (`supports_streaming`, `default_voice`,
 * `supports_streaming_input`, `sample_rate`), in camelCase and read from `capabilities`, so
 * a provider states what it can do once and both spellings agree. Every STT/TTS provider
 * extends one of these (the seed's BaseSTTProvider / BaseTTSProvider).
 */
import type {
  AudioChunk,
  AudioFrame,
  STTCapabilities,
  STTOptions,
  STTProvider,
  STTStreamEvent,
  TranscriptionResult,
  TTSCapabilities,
  TTSOptions,
  TTSProvider,
} from '../../voice/types.js';

export abstract class BaseSTTProvider implements STTProvider {
  abstract readonly name: string;
  abstract readonly capabilities: STTCapabilities;

  /** Whether `transcribeStream` streams (partials as the audio arrives) rather than batching. */
  get supportsStreaming(): boolean {
    return this.capabilities.streaming;
  }

  abstract transcribe(audio: AudioFrame | AudioChunk, opts?: STTOptions): Promise<TranscriptionResult>;
  abstract transcribeStream(
    audio: AsyncIterable<AudioFrame>,
    opts?: STTOptions,
  ): AsyncIterable<STTStreamEvent>;
}

export abstract class BaseTTSProvider implements TTSProvider {
  abstract readonly name: string;
  abstract readonly capabilities: TTSCapabilities;
  /** The voice used when a call names none (`TTSOptions.voice`). */
  abstract readonly defaultVoice: string;

  /** Whether audio streams out as it is generated. */
  get supportsStreaming(): boolean {
    return this.capabilities.streaming;
  }

  /** Whether text can stream in (LLM tokens) with audio starting before it is complete. */
  get supportsStreamingInput(): boolean {
    return this.capabilities.streamingInput;
  }

  /** Rate of the PCM this provider produces. */
  get sampleRate(): number {
    return this.capabilities.sampleRate;
  }

  abstract synthesize(text: string, opts?: TTSOptions): Promise<AudioChunk>;
  abstract synthesizeStream(text: string, opts?: TTSOptions): AsyncIterable<AudioChunk>;
  abstract synthesizeStreamInput(text: AsyncIterable<string>, opts?: TTSOptions): AsyncIterable<AudioChunk>;
}
