import { createRequire } from 'node:module';
import { AudioDependencyError } from '../audio/dependency-error.js';

/**
 * The few libspeexdsp echo-canceller entry points, bound through koffi. Loaded on first
 * use, not at import, so `roomkit/voice` works on machines without the library.
 *
 * The ctl request numbers come from speex_echo.h. They matter: a wrong one makes the
 * library write through a bad pointer and crashes the process, so only the one we need
 * is bound, with its value from the header.
 */
export const SPEEX_ECHO_SET_SAMPLING_RATE = 24;

export interface SpeexDsp {
  echoStateInit(frameSize: number, filterLength: number): unknown;
  echoCtl(state: unknown, request: number, value: number[]): number;
  echoCancellation(state: unknown, rec: Int16Array, play: Int16Array, out: Int16Array): void;
  echoStateReset(state: unknown): void;
  echoStateDestroy(state: unknown): void;
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
    };
    return speexDsp;
  } catch (err) {
    throw new AudioDependencyError(component, 'apt-get install libspeexdsp1 (and npm install koffi)', err);
  }
}
