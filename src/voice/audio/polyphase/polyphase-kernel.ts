import { PROTOTYPES } from './polyphase-filters.js';
import { POLYPHASE_WASM_BASE64 } from './polyphase-wasm.js';
import { instantiateKernel, type WasmMemory, wasm } from '../wasm-api.js';

/** Input samples per kernel call: a 20 ms frame at 48 kHz is one call. */
export const BLOCK_SAMPLES = 1024;
/** Most outputs one block can make (the largest up-ratio is 6). */
const MAX_BLOCK_OUTPUT = BLOCK_SAMPLES * 6 + 8;
/** polyphase_t in polyphase-fir.c: L, M, K, t, filled, coefs, hist (int32 each). */
const STATE_BYTES = 32;
const PAGE = 65536;

interface KernelExports {
  polyphase_process(state: number, input: number, n: number, output: number): number;
  polyphase_reset(state: number): void;
  __heap_base: { value: number };
}

/** One conversion's taps in wasm memory: L phases of K taps, each reversed and scaled by L. */
export interface PhaseTable {
  L: number;
  M: number;
  K: number;
  ptr: number;
}

/**
 * The wasm kernel and its memory, one per process: a bump allocator with free lists by size
 * (resamplers come and go with calls; their slots are reused), the taps of each ratio in use
 * (shared by every resampler of that ratio), and one input and one output scratch block.
 */
export class PolyphaseKernel {
  private static shared: PolyphaseKernel | undefined;
  readonly exports: KernelExports;
  private readonly memory: WasmMemory;
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly tables = new Map<string, PhaseTable>();
  readonly inputPtr: number;
  readonly outputPtr: number;
  private buffer!: ArrayBuffer;
  heap16!: Int16Array;
  heap32!: Int32Array;
  heapF32!: Float32Array;

  /** The process's kernel, compiled on first use (synchronously: the module is 5 KB). */
  static get(): PolyphaseKernel {
    PolyphaseKernel.shared ??= new PolyphaseKernel();
    return PolyphaseKernel.shared;
  }

  private constructor() {
    this.memory = new wasm.Memory({ initial: 2 });
    this.exports = instantiateKernel<KernelExports>(POLYPHASE_WASM_BASE64, { env: { memory: this.memory } });
    this.top = align(this.exports.__heap_base.value);
    this.refreshViews();
    this.inputPtr = this.alloc(BLOCK_SAMPLES * 2);
    this.outputPtr = this.alloc(MAX_BLOCK_OUTPUT * 2);
  }

  /** Views over wasm memory; call before touching them (growing memory replaces its buffer). */
  refreshViews(): void {
    if (this.buffer === this.memory.buffer) return;
    this.buffer = this.memory.buffer;
    this.heap16 = new Int16Array(this.buffer);
    this.heap32 = new Int32Array(this.buffer);
    this.heapF32 = new Float32Array(this.buffer);
  }

  /** The taps for L/M, built once per process. */
  table(L: number, M: number): PhaseTable {
    const key = `${L}/${M}`;
    let table = this.tables.get(key);
    if (table) return table;
    const prototype = prototypeTaps(2 * Math.max(L, M));
    const K = Math.ceil(prototype.length / L / 4) * 4;
    const ptr = this.alloc(L * K * 4);
    const taps = this.heapF32;
    const base = ptr >> 2;
    for (let p = 0; p < L; p++) {
      for (let j = 0; j < K; j++) {
        // g_p[j] = L * h[p + (K - 1 - j) * L]: reversed so the kernel's window ascends.
        const k = p + (K - 1 - j) * L;
        taps[base + p * K + j] = k < prototype.length ? L * prototype[k] : 0;
      }
    }
    table = { L, M, K, ptr };
    this.tables.set(key, table);
    return table;
  }

  /** A resampler's state and history for `table`; returns the state's address. */
  createState(table: PhaseTable): number {
    const histBytes = (table.K - 1 + BLOCK_SAMPLES) * 4;
    const state = this.alloc(STATE_BYTES + histBytes);
    const s = state >> 2;
    const h = this.heap32;
    h[s] = table.L;
    h[s + 1] = table.M;
    h[s + 2] = table.K;
    h[s + 5] = table.ptr;
    h[s + 6] = state + STATE_BYTES;
    this.exports.polyphase_reset(state);
    return state;
  }

  releaseState(state: number, table: PhaseTable): void {
    this.release(state, STATE_BYTES + (table.K - 1 + BLOCK_SAMPLES) * 4);
  }

  private alloc(bytes: number): number {
    const size = align(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) return reused;
    const ptr = this.top;
    this.top += size;
    const needed = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needed > 0) this.memory.grow(Math.max(needed, 16));
    this.refreshViews();
    return ptr;
  }

  private release(ptr: number, bytes: number): void {
    const size = align(bytes);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }
}

/** Whether a prototype filter exists for L/M (reduced). */
export function hasPrototype(L: number, M: number): boolean {
  return PROTOTYPES.some((p) => p.rate === 2 * Math.max(L, M));
}

function prototypeTaps(rate: number): Float32Array {
  const prototype = PROTOTYPES.find((p) => p.rate === rate);
  if (!prototype) throw new Error(`no polyphase prototype filter for design rate ${rate}`);
  const bytes = Buffer.from(prototype.base64, 'base64');
  // Copy into an aligned buffer: a Buffer's offset in its pool need not be a multiple of 4.
  return new Float32Array(new Uint8Array(bytes).buffer, 0, prototype.taps);
}

function align(n: number): number {
  return (n + 15) & ~15;
}
