/**
 * outsideTape(fn): runs fn as if no gradient tape were recording, from inside
 * the function of a tf.grads / variableGrads call: the ops of fn are not
 * recorded on the enclosing tape (nothing to back-propagate through, no saved
 * tensors kept), and a gradient computation inside fn is an ordinary,
 * top-level one. PyTorch's equivalent is running fn with the outer graph
 * simply not referencing its results. src/node/train/ganStep.ts uses it to run the
 * discriminator step between the generator's forward and backward passes.
 *
 * fn must be synchronous, and its results must not feed the enclosing tape's
 * gradient except as constants. Engine-internal (tfjs-core 4.22's
 * state.activeTape / gradientDepth); throws if they are not there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suspendLeanPass } from './leanBackprop.js';
import { requireKnownTfjs } from './version.js';

requireKnownTfjs('outsideTape (tapePause.ts)');

interface EngineState {
  activeTape: unknown[] | null;
  gradientDepth: number;
}

/** Whether a gradient tape is recording (true when the engine's state is unknown: the safe answer). */
export function tapeRecording(): boolean {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  return typeof state?.gradientDepth !== 'number' || state.gradientDepth > 0;
}

export function outsideTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  if (!state || typeof state.gradientDepth !== 'number' || !('activeTape' in state)) {
    throw new Error('outsideTape: the tfjs engine has no state.activeTape / gradientDepth (written for tfjs-core 4.22)');
  }
  const s = state as EngineState;
  const tape = s.activeTape;
  const depth = s.gradientDepth;
  s.activeTape = null;
  s.gradientDepth = 0;
  try {
    return suspendLeanPass(fn);
  } finally {
    s.activeTape = tape;
    s.gradientDepth = depth;
  }
}
