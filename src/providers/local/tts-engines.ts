import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortReason } from './abort.js';
import { LocalEngineError, LocalEngineMissingError } from './errors.js';

export type LocalTTSEngine = 'flite' | 'espeak-ng';

export interface EngineRunOptions {
  voice: string;
  /** espeak-ng speed in words per minute. */
  wordsPerMinute?: number;
  extraArgs: string[];
}

/** How to make one engine write a WAV of some text (to stdout, or to a file when `toFile`). */
export interface EngineSpec {
  engine: LocalTTSEngine;
  binary: string;
  debianPackage: string;
  /** The rate the engine's default voices produce. */
  sampleRate: number;
  defaultVoice: string;
  args(text: string, opts: EngineRunOptions, outFile?: string): string[];
  /**
   * Write to a temp file: flite opens its output path itself, and Node's child stdio is a
   * socket rather than a pipe, so `-o /dev/stdout` fails there.
   */
  toFile: boolean;
  /** Text goes to stdin rather than argv (espeak-ng reads an argv text starting with `-` as an option). */
  textOnStdin: boolean;
}

export const ENGINES: Record<LocalTTSEngine, EngineSpec> = {
  flite: {
    engine: 'flite',
    binary: 'flite',
    debianPackage: 'flite',
    sampleRate: 16_000,
    // rms is the voice pocketsphinx understands best (11% WER in the project's spike).
    defaultVoice: 'rms',
    args: (text, o, outFile) => [
      '-voice',
      o.voice,
      ...o.extraArgs,
      '-t',
      text,
      '-o',
      outFile ?? '/dev/stdout',
    ],
    toFile: true,
    textOnStdin: false,
  },
  'espeak-ng': {
    engine: 'espeak-ng',
    binary: 'espeak-ng',
    debianPackage: 'espeak-ng',
    sampleRate: 22_050,
    // The default espeak voice is nearly unrecognisable by pocketsphinx; klatt2 is far clearer.
    defaultVoice: 'en-us+klatt2',
    args: (_text, o) => [
      '--stdout',
      '--stdin',
      '-v',
      o.voice,
      '-s',
      String(o.wordsPerMinute ?? 170),
      ...o.extraArgs,
    ],
    toFile: false,
    textOnStdin: true,
  },
};

/**
 * Runs the engine once and resolves with the WAV bytes it wrote. Abort kills the child
 * (SIGKILL: these engines hold no state worth a graceful exit) and rejects once it is gone,
 * so an aborted synthesis never keeps a CPU busy in the background.
 */
export async function runEngine(
  spec: EngineSpec,
  binary: string,
  text: string,
  opts: EngineRunOptions,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (signal?.aborted) throw abortReason(signal);
  if (!spec.toFile) return runChild(spec, binary, spec.args(text, opts), text, signal);
  const dir = await mkdtemp(join(tmpdir(), 'roomkit-tts-'));
  try {
    const outFile = join(dir, 'out.wav');
    await runChild(spec, binary, spec.args(text, opts, outFile), text, signal);
    return await readFile(outFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runChild(
  spec: EngineSpec,
  binary: string,
  args: string[],
  text: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let errText = '';
    let failure: unknown;
    const onAbort = () => {
      failure ??= abortReason(signal as AbortSignal);
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (errText.length < 2000) errText += b.toString();
    });
    // EPIPE on stdin when the child dies first is reported through 'close'/'error' already.
    child.stdin.on('error', () => {});
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??=
        err.code === 'ENOENT'
          ? new LocalEngineMissingError(spec.engine, `${binary} binary`, [spec.debianPackage], err)
          : new LocalEngineError(spec.engine, `could not start ${binary}: ${err.message}`, err);
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else if (code !== 0)
        reject(new LocalEngineError(spec.engine, `${binary} exited with ${code ?? sig}: ${errText.trim()}`));
      else resolve(Buffer.concat(out));
    });
    child.stdin.end(spec.textOnStdin ? text : undefined);
  });
}
