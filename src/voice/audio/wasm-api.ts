/** The slice of the WebAssembly JS API our embedded kernels use (lib ES2023 declares none of it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * Compiles and instantiates an embedded kernel (base64) synchronously: the modules are a
 * few kilobytes, so compiling on first use costs less than making every caller await it.
 */
export function instantiateKernel<T>(base64: string, imports: object = {}): T {
  const bytes = Buffer.from(base64, 'base64');
  return new wasm.Instance(new wasm.Module(bytes), imports).exports as T;
}
