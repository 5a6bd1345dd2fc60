import type { RealtimeCapabilities } from '../../realtime/provider.js';
import { isFunctionTool, type RealtimeSession } from '../../realtime/session.js';
import { OpenAIStyleRealtimeProvider } from '../shared/openai-style-realtime-provider.js';
import { compact, hasOption, option } from '../shared/realtime-config-keys.js';
import { XAIRealtimeConfig, type XAIRealtimeConfigOptions } from './realtime-config.js';

/** PCM rates the xAI socket accepts; others are resampled to 24 kHz. */
const NATIVE_RATES = new Set([8000, 16000, 22050, 24000, 32000, 44100, 48000]);
export const XAI_NATIVE_TOOLS = ['web_search', 'x_search', 'file_search'] as const;

/**
 * xAI Grok voice agent (OpenAI-GA-style events; greets with `conversation.created`, sends
 * `ping`s, takes the PCM rate per direction). `providerConfig` keys: `turnDetectionType`
 * ('server_vad' default, null for manual turns), `threshold`, `silenceDurationMs`,
 * `prefixPaddingMs`, `transcriptionModel`, `languageHint`, `reasoningEffort`. Native tools
 * (`{ type: 'web_search' }`, `{ type: 'x_search' }`...) in `tools` are passed through as they
 * are. xAI has no documented truncate: barge-in cancels the response and drops its audio.
 */
export class XAIRealtimeProvider extends OpenAIStyleRealtimeProvider {
  readonly name = 'xai';
  readonly config: XAIRealtimeConfig;
  readonly capabilities: RealtimeCapabilities = {
    serverVad: true,
    sessionResumption: false,
    truncation: false,
    toolsAtConnect: true,
    reconfigure: 'live',
    maxSessionMs: 60 * 60_000,
    nativeTools: XAI_NATIVE_TOOLS,
  };
  protected readonly readyEvent = 'conversation.created' as const;

  /** Takes an `XAIRealtimeConfig(...)` or the same options plainly. */
  constructor(config: XAIRealtimeConfig | XAIRealtimeConfigOptions = {}) {
    const resolved = XAIRealtimeConfig(config);
    super({ logger: resolved.logger });
    this.config = resolved;
  }

  get model(): string {
    return this.config.model;
  }

  protected socketTarget(): { url: string; headers: Record<string, string> } {
    return {
      url: `${this.config.baseUrl}/realtime?model=${encodeURIComponent(this.config.model)}`,
      headers: { Authorization: `Bearer ${this.config.apiKey}` },
    };
  }

  protected wireRates(session: RealtimeSession): { input: number; output: number } {
    const wire = (rate: number) => (NATIVE_RATES.has(rate) ? rate : 24_000);
    return { input: wire(session.config.inputSampleRate), output: wire(session.config.outputSampleRate) };
  }

  protected override serverCancelsOnSpeech(session: RealtimeSession): boolean {
    return turnDetection(session.config.providerConfig) !== null;
  }

  protected buildSession(session: RealtimeSession): Record<string, unknown> {
    const { config } = session;
    const pc = config.providerConfig;
    const rates = this.wireRates(session);
    const transcriptionModel = option<string>(pc, 'transcriptionModel') ?? this.config.transcriptionModel;
    const languageHint = option<string>(pc, 'languageHint');
    const effort = option<string>(pc, 'reasoningEffort');
    return compact({
      instructions: config.systemPrompt,
      voice: config.voice ?? this.config.voice,
      turn_detection: turnDetection(pc),
      audio: {
        input: compact({
          format: { type: 'audio/pcm', rate: rates.input },
          transcription:
            transcriptionModel || languageHint
              ? compact({ model: transcriptionModel, language_hint: languageHint })
              : undefined,
        }),
        output: { format: { type: 'audio/pcm', rate: rates.output } },
      },
      tools: config.tools?.map((tool) =>
        isFunctionTool(tool)
          ? { type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters }
          : tool,
      ),
      reasoning: effort ? { effort } : undefined,
    });
  }
}

function turnDetection(pc: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (hasOption(pc, 'turnDetectionType') && option(pc, 'turnDetectionType') === null) return null;
  return compact({
    type: option<string>(pc, 'turnDetectionType') ?? 'server_vad',
    threshold: option(pc, 'threshold'),
    silence_duration_ms: option(pc, 'silenceDurationMs'),
    prefix_padding_ms: option(pc, 'prefixPaddingMs'),
  });
}
