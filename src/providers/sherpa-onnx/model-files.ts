import { closeSync, openSync, readSync, statSync } from 'node:fs';
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

export type ModelPath = { option: string; path: string | undefined; kind?: 'file' | 'onnx' | 'directory' };

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
    if (kind !== 'directory' && !stat.isFile()) problems[option] = `not a file: ${path}`;
    else if (kind === 'directory' && !stat.isDirectory()) problems[option] = `not a directory: ${path}`;
    else if (kind === 'onnx') {
      const problem = onnxProblem(path, stat.size);
      if (problem) problems[option] = `${problem}: ${path}`;
    }
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

/**
 * Why `path` is not a whole ONNX model, or undefined when it looks like one. onnxruntime
 * aborts the whole process on a file it cannot parse, so a wrong file (a tokens.txt, a
 * Git LFS pointer, an HTML error page, a truncated download) must never reach it. An ONNX
 * model is a protobuf ModelProto: walking its top-level fields (a few small reads, not the
 * whole file) must land exactly on the end of the file.
 */
export function onnxProblem(path: string, size: number): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    let at = 0;
    let fields = 0;
    while (at < size) {
      const n = readSync(fd, head, 0, head.length, at);
      const tag = varint(head, 0, n);
      if (!tag || tag.value === 0) return 'not an ONNX model';
      let next = at + tag.bytes;
      const wire = tag.value % 8;
      if (wire === 0) {
        const v = varint(head, tag.bytes, n);
        if (!v) return 'not an ONNX model';
        next += v.bytes;
      } else if (wire === 2) {
        const len = varint(head, tag.bytes, n);
        if (!len) return 'not an ONNX model';
        next += len.bytes + len.value;
      } else if (wire === 1) next += 8;
      else if (wire === 5) next += 4;
      else return 'not an ONNX model';
      if (next > size) return fields === 0 ? 'not an ONNX model' : 'truncated ONNX model';
      at = next;
      fields++;
    }
    return fields === 0 ? 'empty file' : undefined;
  } finally {
    closeSync(fd);
  }
}

function varint(buf: Buffer, from: number, end: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = from; i < end && i < from + 10; i++) {
    value += (buf[i] & 0x7f) * scale;
    if ((buf[i] & 0x80) === 0) return { value, bytes: i - from + 1 };
    scale *= 128;
  }
  return undefined;
}
