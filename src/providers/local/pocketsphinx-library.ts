import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LocalEngineMissingError } from './errors.js';

/**
 * Binding to Debian's libpocketsphinx through koffi (FFI, no compile step). Debian 12 ships
 * 5prealpha (`libpocketsphinx.so.3` + `libsphinxbase.so.3`, config through `cmd_ln_init`);
 * newer releases ship 5.x (`libpocketsphinx.so.5`, config through `ps_config_*`). The decode
 * calls are the same in both, so only configuration differs.
 */

export const PROVIDER_NAME = 'pocketsphinx';
export const STT_PACKAGES = ['pocketsphinx', 'pocketsphinx-en-us'];
export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface PocketSphinxModelOptions {
  /** Folder holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  modelDir?: string;
  /** Override the acoustic model folder (`-hmm`). */
  hmm?: string;
  /** Override the language model (`-lm`). */
  lm?: string;
  /** Override the pronunciation dictionary (`-dict`). */
  dict?: string;
  /** Extra decoder options, e.g. `{ '-beam': '1e-60' }`. */
  config?: Record<string, string>;
  /** Load this shared library instead of searching for the Debian one. */
  libraryPath?: string;
}

// koffi foreign functions are untyped by nature.
type Fn = (...args: any[]) => any;
type AsyncFn = Fn & { async: Fn };

export interface PocketSphinxLibrary {
  readonly version: 3 | 5;
  /** Creates a configured decoder handle (loads the model: ~200 ms, ~40 MB). */
  createDecoder(model: PocketSphinxModelOptions): unknown;
  ps_free: Fn;
  ps_start_utt: Fn;
  ps_end_utt: Fn;
  ps_process_raw: AsyncFn;
  ps_get_hyp: Fn;
  ps_get_n_frames: Fn;
  ps_seg_iter: Fn;
  ps_seg_next: Fn;
  ps_seg_word: Fn;
  ps_seg_frames: Fn;
  ps_seg_prob: Fn;
  ps_seg_free: Fn;
  ps_get_logmath: Fn;
  logmath_exp: Fn;
}

let cached: PocketSphinxLibrary | undefined;

/** Loads the library once per process; throws LocalEngineMissingError naming the package. */
export function loadPocketSphinx(libraryPath?: string): PocketSphinxLibrary {
  if (cached && !libraryPath) return cached;
  // koffi is a native module: load it only when offline STT is actually used.
  const require = createRequire(import.meta.url);
  let koffi: typeof import('koffi');
  try {
    koffi = require('koffi');
  } catch (err) {
    throw new LocalEngineMissingError(PROVIDER_NAME, 'npm package koffi', STT_PACKAGES, err);
  }
  const candidates = libraryPath
    ? [libraryPath]
    : ['libpocketsphinx.so.3', 'libpocketsphinx.so.5', 'libpocketsphinx.so'];
  let lastErr: unknown;
  for (const name of candidates) {
    try {
      const ps = koffi.load(name);
      const lib = bind(koffi, ps);
      if (!libraryPath) cached = lib;
      return lib;
    } catch (err) {
      lastErr = err;
    }
  }
  throw new LocalEngineMissingError(
    PROVIDER_NAME,
    `libpocketsphinx (${candidates.join(', ')})`,
    STT_PACKAGES,
    lastErr,
  );
}

function bind(
  koffi: typeof import('koffi'),
  ps: ReturnType<typeof import('koffi').load>,
): PocketSphinxLibrary {
  const has = (name: string) => {
    try {
      ps.symbol(name);
      return true;
    } catch {
      return false;
    }
  };
  const version: 3 | 5 = has('ps_config_init') ? 5 : 3;
  // 5prealpha keeps logmath and cmd_ln in sphinxbase; 5.x folded them into one library.
  const base = version === 3 ? koffi.load('libsphinxbase.so.3') : ps;
  const f = (lib: typeof ps, decl: string) => lib.func(decl) as AsyncFn;

  let createDecoder: PocketSphinxLibrary['createDecoder'];
  const ps_init = f(ps, 'void* ps_init(void* config)');
  if (version === 3) {
    const ps_args = f(ps, 'void* ps_args()');
    const cmd_ln_init = f(base, 'void* cmd_ln_init(void* inout, void* defn, int strict, ...)');
    const cmd_ln_free_r = f(base, 'int cmd_ln_free_r(void* config)');
    createDecoder = (model) => {
      const varargs: unknown[] = [];
      for (const [k, v] of Object.entries(decoderArgs(model))) varargs.push('str', `-${k}`, 'str', v);
      const config = cmd_ln_init(null, ps_args(), 1, ...varargs, 'void*', null);
      if (!config) throw new Error('cmd_ln_init rejected the decoder options');
      const decoder = ps_init(config);
      cmd_ln_free_r(config); // ps_init keeps its own reference
      return decoder;
    };
  } else {
    const ps_config_init = f(ps, 'void* ps_config_init(void* defn)');
    const ps_config_set_str = f(
      ps,
      'void* ps_config_set_str(void* config, const char* name, const char* val)',
    );
    const ps_config_free = f(ps, 'int ps_config_free(void* config)');
    createDecoder = (model) => {
      const config = ps_config_init(null);
      for (const [k, v] of Object.entries(decoderArgs(model))) ps_config_set_str(config, k, v);
      const decoder = ps_init(config);
      ps_config_free(config);
      return decoder;
    };
  }

  return {
    version,
    createDecoder,
    ps_free: f(ps, 'int ps_free(void* ps)'),
    ps_start_utt: f(ps, 'int ps_start_utt(void* ps)'),
    ps_end_utt: f(ps, 'int ps_end_utt(void* ps)'),
    ps_process_raw: f(
      ps,
      'int ps_process_raw(void* ps, const int16_t* data, size_t n, int no_search, int full_utt)',
    ),
    ps_get_hyp: f(ps, 'const char* ps_get_hyp(void* ps, _Out_ int* score)'),
    ps_get_n_frames: f(ps, 'int ps_get_n_frames(void* ps)'),
    // 0.8 took an out-score here, 5.x does not; a spare pointer argument is harmless in the
    // SysV calling convention, a missing one would be written through, so always pass it.
    ps_seg_iter: f(ps, 'void* ps_seg_iter(void* ps, _Out_ int* score)'),
    ps_seg_next: f(ps, 'void* ps_seg_next(void* seg)'),
    ps_seg_word: f(ps, 'const char* ps_seg_word(void* seg)'),
    ps_seg_frames: f(ps, 'void ps_seg_frames(void* seg, _Out_ int* sf, _Out_ int* ef)'),
    ps_seg_prob: f(ps, 'int ps_seg_prob(void* seg, _Out_ int* ascr, _Out_ int* lscr, _Out_ int* lback)'),
    ps_seg_free: f(ps, 'void ps_seg_free(void* seg)'),
    ps_get_logmath: f(ps, 'void* ps_get_logmath(void* ps)'),
    logmath_exp: f(base, 'double logmath_exp(void* lmath, int p)'),
  };
}

/** Decoder options without leading dashes; checks the model files exist first. */
function decoderArgs(model: PocketSphinxModelOptions): Record<string, string> {
  const dir = model.modelDir ?? DEFAULT_MODEL_DIR;
  const files = {
    hmm: model.hmm ?? `${dir}/en-us`,
    lm: model.lm ?? `${dir}/en-us.lm.bin`,
    dict: model.dict ?? `${dir}/cmudict-en-us.dict`,
  };
  for (const [kind, path] of Object.entries(files)) {
    // pocketsphinx would only print a log line and return NULL; say which file is missing.
    if (!existsSync(path))
      throw new LocalEngineMissingError(PROVIDER_NAME, `pocketsphinx model (${kind}: ${path})`, STT_PACKAGES);
  }
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(model.config ?? {})) extra[k.replace(/^-/, '')] = v;
  return { ...files, logfn: '/dev/null', ...extra };
}
