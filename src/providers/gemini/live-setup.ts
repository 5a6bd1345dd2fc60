import type { JSONSchema } from '../../ai/types.js';
import { isFunctionTool, type RealtimeNativeTool, type RealtimeSession } from '../../realtime/session.js';
import { compact, option } from '../shared/realtime-config-keys.js';

/**
 * `providerConfig` keys of GeminiLiveProvider (camelCase; the seed's snake_case works too):
 * `startOfSpeechSensitivity` / `endOfSpeechSensitivity` ('HIGH'|'LOW'), `silenceDurationMs`,
 * `prefixPaddingMs`, `automaticActivityDetection` (false: manual turns, see `commitAudio`),
 * `activityHandling` ('START_OF_ACTIVITY_INTERRUPTS'|'NO_INTERRUPTION'), `turnCoverage`,
 * `proactiveAudio`, `enableAffectiveDialog`, `thinkingBudget`, `topP`, `topK`,
 * `maxOutputTokens`, `languageCode`, `contextWindowCompression` (wire shape),
 * `sessionResumption` (default true).
 */
export type GeminiLiveProviderConfig = Record<string, unknown>;

/** The `setup` message for a session's config, resuming `handle` when given. */
export function buildSetup(
  model: string,
  session: RealtimeSession,
  handle?: string,
): Record<string, unknown> {
  const { config } = session;
  const pc = config.providerConfig;
  const voice = config.voice ? { prebuiltVoiceConfig: { voiceName: config.voice } } : undefined;
  const thinkingBudget = option<number>(pc, 'thinkingBudget');
  const proactiveAudio = option<boolean>(pc, 'proactiveAudio');
  const functions = (config.tools ?? []).filter(isFunctionTool);
  const native = (config.tools ?? [])
    .filter((t): t is RealtimeNativeTool => !isFunctionTool(t))
    .map(({ type, ...rest }) => ({ [type]: rest }));
  const setup = compact({
    model: model.startsWith('models/') ? model : `models/${model}`,
    generationConfig: compact({
      responseModalities: ['AUDIO'],
      speechConfig: compact({ voiceConfig: voice, languageCode: option<string>(pc, 'languageCode') }),
      temperature: config.temperature,
      topP: option<number>(pc, 'topP'),
      topK: option<number>(pc, 'topK'),
      maxOutputTokens: option<number>(pc, 'maxOutputTokens'),
      thinkingConfig: thinkingBudget === undefined ? undefined : { thinkingBudget },
      enableAffectiveDialog: option<boolean>(pc, 'enableAffectiveDialog'),
    }),
    systemInstruction: config.systemPrompt ? { parts: [{ text: config.systemPrompt }] } : undefined,
    tools:
      functions.length || native.length
        ? [
            ...(functions.length
              ? [
                  {
                    functionDeclarations: functions.map((f) => ({
                      name: f.name,
                      description: f.description,
                      parameters: toGeminiSchema(f.parameters),
                    })),
                  },
                ]
              : []),
            ...native,
          ]
        : undefined,
    realtimeInputConfig: realtimeInputConfig(pc),
    inputAudioTranscription: {},
    outputAudioTranscription: {},
    sessionResumption: resumptionEnabled(session) ? compact({ handle }) : undefined,
    contextWindowCompression: option<Record<string, unknown>>(pc, 'contextWindowCompression'),
    proactivity: proactiveAudio === undefined ? undefined : { proactiveAudio },
  });
  return { setup };
}

export function resumptionEnabled(session: RealtimeSession): boolean {
  return option<boolean>(session.config.providerConfig, 'sessionResumption') !== false;
}

export function manualActivity(session: RealtimeSession): boolean {
  return option<boolean>(session.config.providerConfig, 'automaticActivityDetection') === false;
}

function realtimeInputConfig(pc: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const detection = compact({
    disabled: option<boolean>(pc, 'automaticActivityDetection') === false ? true : undefined,
    startOfSpeechSensitivity: sensitivity('START', option<string>(pc, 'startOfSpeechSensitivity')),
    endOfSpeechSensitivity: sensitivity('END', option<string>(pc, 'endOfSpeechSensitivity')),
    prefixPaddingMs: option<number>(pc, 'prefixPaddingMs'),
    silenceDurationMs: option<number>(pc, 'silenceDurationMs'),
  });
  const out = compact({
    automaticActivityDetection: Object.keys(detection).length ? detection : undefined,
    activityHandling: option<string>(pc, 'activityHandling'),
    turnCoverage: option<string>(pc, 'turnCoverage'),
  });
  return Object.keys(out).length ? out : undefined;
}

/** 'HIGH' -> 'START_SENSITIVITY_HIGH'; the wire names pass as they are; others (MEDIUM) mean the default. */
function sensitivity(which: 'START' | 'END', value: string | undefined): string | undefined {
  if (!value) return undefined;
  const upper = value.toUpperCase();
  if (upper.startsWith(`${which}_SENSITIVITY_`)) return upper;
  return upper === 'HIGH' || upper === 'LOW' ? `${which}_SENSITIVITY_${upper}` : undefined;
}

/** JSON Schema -> the OpenAPI subset Gemini declares functions with (upper-case types). */
export function toGeminiSchema(schema: JSONSchema): JSONSchema {
  const out: JSONSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === 'additionalProperties') continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toUpperCase();
    else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JSONSchema>).map(([k, v]) => [k, toGeminiSchema(v)]),
      );
    } else if (key === 'items' && value && typeof value === 'object')
      out.items = toGeminiSchema(value as JSONSchema);
    else out[key] = value;
  }
  return out;
}
