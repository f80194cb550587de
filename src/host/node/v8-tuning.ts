/**
 * V8 settings for running translated guest code, applied once before the first machine is built.
 *
 * V8 compiles a wasm function with Liftoff first and recompiles it with TurboFan in the background once
 * it has used its "tiering budget". A Linux boot creates some 3,000 translated regions, most of them run
 * a few thousand times during boot and never again; with V8's default budget hundreds of them were
 * recompiled, and those TurboFan jobs (2.5 s of CPU per boot, measured with perf) took the second core
 * of a 2-core machine and part of the first. A 50x larger budget keeps TurboFan for the code that runs
 * for long (loops tier up after a few milliseconds instead of a few tens of microseconds): the default
 * guest boots in 1.9–2.0 s instead of 2.7–2.9 s, and the steady-state benchmarks do not change
 * (bench/RESULTS.md).
 *
 * The size of V8's worker pool can only be set on node's command line: the bin/ scripts' shebang passes
 * `--v8-pool-size=1`.
 */
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function tuneV8ForTranslator(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--wasm-tiering-budget=100000000');
  // Baseline (Sparkplug) code for every JS function from its first call instead of bytecode interpretation
  // first: the emulator's own JS reaches a fast tier sooner (boot 2.0 s -> 1.8 s, median of 6).
  setFlagsFromString('--always-sparkplug');
}
