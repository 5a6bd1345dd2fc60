import { statSync } from 'node:fs';
import { ProviderError } from '../../core/errors.js';

/**
 * A model sherpa-onnx cannot use: a file or folder that is not where the config says, or a
 * config sherpa-onnx itself refused. Not retryable: the paths must be fixed. `files` maps
 * each offending option to what is wrong with it.
 */
export class SherpaOnnxModelError extends ProviderError {
  readonly files: Record<string, string>;

  constructor(provider: string, message: string, files: Record<string, string> = {}, cause?: unknown) {
    super(provider, message, { code: 'sherpa_model_invalid', retryable: false, cause });
    this.files = files;
  }
}

export type ModelPath = { option: string; path: string | undefined; kind?: 'file' | 'directory' };

/**
 * Checks every path before sherpa-onnx sees it: the native side only prints "Errors in
 * config" to stderr (and for some objects returns a handle that crashes when used), so we
 * name the option, the path and the problem ourselves, all of them at once.
 */
export function checkModelPaths(provider: string, paths: ModelPath[]): void {
  const problems: Record<string, string> = {};
  for (const { option, path, kind = 'file' } of paths) {
    if (!path) {
      problems[option] = 'not set';
      continue;
    }
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(path);
    } catch {
      problems[option] = `not found: ${path}`;
      continue;
    }
    if (kind === 'file' && !stat.isFile()) problems[option] = `not a file: ${path}`;
    if (kind === 'directory' && !stat.isDirectory()) problems[option] = `not a directory: ${path}`;
  }
  const entries = Object.entries(problems);
  if (entries.length === 0) return;
  const list = entries.map(([option, what]) => `${option} ${what}`).join('; ');
  throw new SherpaOnnxModelError(provider, `model files missing: ${list}`, problems);
}

/** Runs sherpa-onnx's constructor; its bare "Please check your config!" becomes a typed error. */
export async function createNative<T>(
  provider: string,
  what: string,
  create: () => T | Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (err) {
    throw new SherpaOnnxModelError(
      provider,
      `sherpa-onnx refused the ${what} config (the model files do not match the mode or model type?): ${err instanceof Error ? err.message : String(err)}`,
      {},
      err,
    );
  }
}
