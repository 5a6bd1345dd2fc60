import type { RealtimeToolSet } from './realtime-tools.js';
import type { RealtimeVoiceChannelOptions, StartRealtimeSessionOptions } from './realtime-channel-types.js';
import {
  DEFAULT_INPUT_SAMPLE_RATE,
  DEFAULT_OUTPUT_SAMPLE_RATE,
  type RealtimeSessionConfig,
} from './session.js';

/**
 * The provider configuration of a new session: the channel's options, overridden by the
 * session's metadata (the seed reads `systemPrompt`, `voice` and `providerConfig` there),
 * overridden by what `startSession` was given.
 */
export function sessionConfigFor(
  o: RealtimeVoiceChannelOptions,
  tools: RealtimeToolSet,
  meta: Record<string, unknown>,
  overrides: StartRealtimeSessionOptions,
): RealtimeSessionConfig & { inputSampleRate: number; outputSampleRate: number } {
  return {
    systemPrompt: overrides.systemPrompt ?? str(meta.systemPrompt) ?? o.systemPrompt,
    voice: overrides.voice ?? str(meta.voice) ?? o.voice,
    tools: tools.definitions,
    temperature: o.temperature,
    inputSampleRate: o.inputSampleRate ?? DEFAULT_INPUT_SAMPLE_RATE,
    outputSampleRate: o.outputSampleRate ?? DEFAULT_OUTPUT_SAMPLE_RATE,
    providerConfig: { ...o.providerConfig, ...record(meta.providerConfig), ...overrides.providerConfig },
  };
}

/** Drops undefined fields, so they do not overwrite what a provider or session already has. */
export function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
