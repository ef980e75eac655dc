/**
 * Which WebAssembly modules V8 may optimize.
 *
 * V8 compiles a WebAssembly function with its baseline compiler (Liftoff)
 * and, once the function has run enough, again with its optimizing compiler
 * (TurboFan) on a background thread. undici parses HTTP responses with a
 * WebAssembly build of llhttp whose parser is one 34 KB function: it turns
 * hot after a few dozen responses, and optimizing it takes 130-210 ms of CPU
 * (`node --trace-wasm-compilation-times`), as much as compressing an 8.8 MB
 * binary, and at normal priority while `go build` runs. kodev parses tens
 * of responses per command, so that is never repaid.
 *
 * keepWasmAtBaseline makes modules compiled from then on stay at the
 * baseline tier; compileOptimizable compiles one with tier-up allowed (the
 * compressor, which runs over megabytes). V8 reads these flags when it
 * compiles a module, so each module keeps the tiering it was compiled with.
 * Checked on V8 11 (Node 20); other versions keep V8's defaults, since V8
 * reports a flag it does not know on stderr.
 */

/** The WebAssembly global (this project's TypeScript libraries do not declare it). */
const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } })
  .WebAssembly;

const BASELINE = ['--no-wasm-dynamic-tiering', '--no-wasm-tier-up'];
const DEFAULT = ['--wasm-dynamic-tiering', '--wasm-tier-up'];

let setFlags: ((flag: string) => void) | undefined;

/** From now on, new WebAssembly modules stay at V8's baseline tier (on V8 11; elsewhere nothing changes). */
export async function keepWasmAtBaseline(v8Version = process.versions.v8): Promise<void> {
  if (setFlags || !v8Version.startsWith('11.')) return;
  const { setFlagsFromString } = await import('node:v8');
  setFlags = setFlagsFromString;
  for (const flag of BASELINE) setFlags(flag);
}

/** Compiles `bytes` with tier-up allowed, whatever keepWasmAtBaseline set. */
export function compileOptimizable(bytes: Uint8Array): object {
  if (!setFlags) return new wasm.Module(bytes);
  for (const flag of DEFAULT) setFlags(flag);
  try {
    return new wasm.Module(bytes);
  } finally {
    for (const flag of BASELINE) setFlags(flag);
  }
}
