import { createRequire } from 'node:module';
import { AudioDependencyError } from '../audio/dependency-error.js';

/**
 * The few libspeexdsp entry points we use (echo canceller and the preprocessor that runs
 * its residual echo suppression), bound through koffi. Loaded on first use, not at import,
 * so `roomkit/voice` works on machines without the library.
 *
 * The ctl request numbers come from speex_echo.h and speex_preprocess.h. They matter: a
 * wrong one makes the library write through a bad pointer and crashes the process, so only
 * the ones we need are bound, each with its value from the header.
 */
export const SPEEX_ECHO_SET_SAMPLING_RATE = 24;
export const SPEEX_PREPROCESS_SET_DENOISE = 0;
export const SPEEX_PREPROCESS_SET_AGC = 2;
export const SPEEX_PREPROCESS_SET_VAD = 4;
export const SPEEX_PREPROCESS_SET_DEREVERB = 8;
export const SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18;
export const SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20;
export const SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22;
/** Takes the echo state pointer itself (not an int*): bound through its own signature. */
export const SPEEX_PREPROCESS_SET_ECHO_STATE = 24;

export interface SpeexDsp {
  echoStateInit(frameSize: number, filterLength: number): unknown;
  echoCtl(state: unknown, request: number, value: number[]): number;
  echoCancellation(state: unknown, rec: Int16Array, play: Int16Array, out: Int16Array): void;
  echoStateReset(state: unknown): void;
  echoStateDestroy(state: unknown): void;
  preprocessStateInit(frameSize: number, sampleRate: number): unknown;
  /** Integer requests (every SET_* above except ECHO_STATE). */
  preprocessCtl(state: unknown, request: number, value: number[]): number;
  /** SPEEX_PREPROCESS_SET_ECHO_STATE: couples residual echo suppression to an echo state. */
  preprocessSetEchoState(state: unknown, request: number, echoState: unknown): number;
  /** Processes one frame in place. */
  preprocessRun(state: unknown, frame: Int16Array): number;
  preprocessStateDestroy(state: unknown): void;
}

let speexDsp: SpeexDsp | undefined;

/** Loads libspeexdsp.so.1 (once); throws AudioDependencyError naming the Debian package. */
export function loadSpeexDsp(component: string): SpeexDsp {
  if (speexDsp) return speexDsp;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load('libspeexdsp.so.1');
    speexDsp = {
      echoStateInit: lib.func('void* speex_echo_state_init(int frame_size, int filter_length)'),
      echoCtl: lib.func('int speex_echo_ctl(void* st, int request, _Inout_ int* ptr)'),
      echoCancellation: lib.func(
        'void speex_echo_cancellation(void* st, const int16_t* rec, const int16_t* play, _Out_ int16_t* out)',
      ),
      echoStateReset: lib.func('void speex_echo_state_reset(void* st)'),
      echoStateDestroy: lib.func('void speex_echo_state_destroy(void* st)'),
      preprocessStateInit: lib.func('void* speex_preprocess_state_init(int frame_size, int sampling_rate)'),
      preprocessCtl: lib.func('int speex_preprocess_ctl(void* st, int request, _Inout_ int* ptr)'),
      preprocessSetEchoState: lib.func('int speex_preprocess_ctl(void* st, int request, void* echo_state)'),
      preprocessRun: lib.func('int speex_preprocess_run(void* st, _Inout_ int16_t* x)'),
      preprocessStateDestroy: lib.func('void speex_preprocess_state_destroy(void* st)'),
    };
    return speexDsp;
  } catch (err) {
    throw new AudioDependencyError(component, 'apt-get install libspeexdsp1 (and npm install koffi)', err);
  }
}
