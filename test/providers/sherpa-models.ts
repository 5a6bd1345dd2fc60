import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SherpaOnnxSTTConfig, SherpaOnnxTTSConfig } from '../../src/providers/sherpa-onnx/index.js';

/**
 * Real sherpa-onnx models for the tests, found under `ROOMKIT_SHERPA_MODELS` (no package
 * ships any). Unpack sherpa-onnx's release archives there, one folder each, as released:
 * a streaming transducer (`encoder*.onnx`, `decoder*.onnx`, `joiner*.onnx`, `tokens.txt`),
 * a Whisper model (`*-encoder*.onnx`, `*-decoder*.onnx`, `*-tokens.txt`), a VITS/Piper
 * voice (`*.onnx`, `tokens.txt`, optionally `espeak-ng-data/` and `lexicon.txt`).
 */
export const MODELS_ENV = 'ROOMKIT_SHERPA_MODELS';

export interface FoundModels {
  transducer?: SherpaOnnxSTTConfig;
  whisper?: SherpaOnnxSTTConfig;
  vits?: SherpaOnnxTTSConfig;
}

export function findSherpaModels(root = process.env[MODELS_ENV]): FoundModels {
  const found: FoundModels = {};
  if (!root) return found;
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    const files = readdirSync(dir);
    const pick = (re: RegExp) => {
      const all = files.filter((f) => re.test(f));
      const plain = all.find((f) => !f.includes('int8'));
      const chosen = plain ?? all[0];
      return chosen && join(dir, chosen);
    };
    const encoder = pick(/encoder.*\.onnx$/);
    const decoder = pick(/decoder.*\.onnx$/);
    const joiner = pick(/joiner.*\.onnx$/);
    const whisperTokens = pick(/-tokens\.txt$/);
    const tokens = files.includes('tokens.txt') ? join(dir, 'tokens.txt') : undefined;
    if (encoder && decoder && joiner && tokens && !found.transducer) {
      found.transducer = { mode: 'transducer', encoder, decoder, joiner, tokens, numThreads: 1 };
    } else if (encoder && decoder && !joiner && whisperTokens && !found.whisper) {
      found.whisper = {
        mode: 'whisper',
        encoder,
        decoder,
        tokens: whisperTokens,
        language: 'en',
        numThreads: 1,
      };
    } else if (!encoder && tokens && !found.vits) {
      const model = pick(/\.onnx$/);
      if (!model) continue;
      found.vits = {
        model,
        tokens,
        numThreads: 1,
        ...(files.includes('espeak-ng-data') ? { dataDir: join(dir, 'espeak-ng-data') } : {}),
        ...(files.includes('lexicon.txt') ? { lexicon: join(dir, 'lexicon.txt') } : {}),
      };
    }
  }
  return found;
}

/** The one permitted skip: says out loud why real-model tests did not run. */
export function reportMissing(what: string, found: unknown): boolean {
  if (found) return false;
  const where = process.env[MODELS_ENV]
    ? `no ${what} model under ${MODELS_ENV}=${process.env[MODELS_ENV]}`
    : `${MODELS_ENV} is not set`;
  console.log(
    `[sherpa-onnx] SKIPPED the real ${what} model test: ${where} (no npm or Debian package ships one; see docs/offline-voice.md)`,
  );
  return true;
}
