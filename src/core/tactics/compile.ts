/**
 * compileForInference(model): the one place where a model's inference
 * tactics are switched on. While compiled, its residual blocks and
 * in-painting bottlenecks run with batch norm folded into their
 * convolutions (foldedConvBn.ts; one native kernel per residual block where
 * the backend has it), and its standalone output convolutions on constant
 * copies the backend keeps prepared. The math is the paper's either way
 * (test/core/squid/fusedPaths.test.ts); only speed and rounding differ.
 * Scoring compiles on its own (scorer.ts, Detector); training refuses a
 * compiled model. Compiles nest; the forms go when the last is released.
 * Browser-safe.
 */
import type { SquidModel } from '../model/types.js';

export interface CompiledInference {
  release(): void;
}

export function compileForInference(model: SquidModel): CompiledInference {
  const scope = model.inferenceScope;
  scope.enter();
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      scope.exit();
    },
  };
}

/** Runs fn with the model compiled for inference, released after (also on error). */
export async function withInference<T>(model: SquidModel, fn: () => Promise<T> | T): Promise<T> {
  const compiled = compileForInference(model);
  try {
    return await fn();
  } finally {
    compiled.release();
  }
}
