/**
 * Memory matrix: learnable memories (numMemories x slots x dim), initialized
 * U(+-1/sqrt(dim)), read with Gumbel top-k shrinkage; gradients reach the
 * matrix. Used by the decoder memory blocks, and by the in-painting block
 * when the "memory matrix instead of queue" ablation is on.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { memoryRead, type ReadMode } from './memoryRead.js';

export class MemoryMatrix {
  /** [M, S, d], trainable */
  readonly memory: tf.Variable;

  constructor(store: ParamStore, name: string, readonly numMemories: number, readonly slots: number, readonly dim: number) {
    this.memory = store.variable(`${name}/memory`, [numMemories, slots, dim], { kind: 'uniform', bound: 1 / Math.sqrt(dim) });
  }

  /** q [M,B,d] -> [M,B,d] */
  read(q: tf.Tensor3D, topK: number, gumbel: boolean, mode: ReadMode): tf.Tensor3D {
    return memoryRead(q, this.memory as tf.Tensor3D, topK, gumbel, mode);
  }
}
