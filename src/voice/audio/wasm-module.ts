import { AudioDependencyError } from './dependency-error.js';

/**
 * The slice of an Emscripten module the audio code touches. The heap views are replaced
 * when wasm memory grows, so code must re-read them (see HeapInt16) instead of caching.
 */
export interface EmscriptenModule {
  HEAP16: Int16Array;
  HEAPU32: Uint32Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  [fn: `_${string}`]: any;
}

const loaded = new Map<string, Promise<EmscriptenModule>>();

/**
 * Loads (once per process) an Emscripten ES module factory. The specifier is a variable so
 * TypeScript does not need type declarations for packages that ship none.
 */
export function loadWasmModule(specifier: string, component: string): Promise<EmscriptenModule> {
  let promise = loaded.get(specifier);
  if (!promise) {
    promise = (async () => {
      try {
        const mod = (await import(specifier)) as { default: () => Promise<EmscriptenModule> };
        return await mod.default();
      } catch (err) {
        loaded.delete(specifier); // let a later call retry after the user installs it
        throw new AudioDependencyError(component, `npm install ${packageOf(specifier)}`, err);
      }
    })();
    loaded.set(specifier, promise);
  }
  return promise;
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A window on a malloc'ed region of the wasm heap that survives memory growth. */
export class WasmBuffer<T extends Int16Array | Float32Array> {
  readonly ptr: number;
  readonly length: number;
  private view: T;

  constructor(
    private readonly mod: EmscriptenModule,
    private readonly kind: 'int16' | 'float32',
    length: number,
  ) {
    this.length = length;
    this.ptr = mod._malloc(length * (kind === 'int16' ? 2 : 4));
    this.view = this.makeView();
  }

  /** The current view (recreated only when wasm memory has grown since the last call). */
  get array(): T {
    if (this.view.buffer !== this.heap().buffer) this.view = this.makeView();
    return this.view;
  }

  free(): void {
    this.mod._free(this.ptr);
  }

  private heap(): Int16Array | Float32Array {
    return this.kind === 'int16' ? this.mod.HEAP16 : this.mod.HEAPF32;
  }

  private makeView(): T {
    const heap = this.heap();
    const ctor = this.kind === 'int16' ? Int16Array : Float32Array;
    return new ctor(heap.buffer as ArrayBuffer, this.ptr, this.length) as T;
  }
}
