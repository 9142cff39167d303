/**
 * Space-aware memory queue: one FIFO ring buffer per patch position
 * (numQueues x slots x dim), initialized U(+-1/sqrt(dim)), never trained by
 * gradients (read detached). After each generator step the detached queries
 * of the batch are written into the queue of their patch position, at a
 * pointer that wraps. Contents and pointers are part of the saved state.
 * With space-aware memory off there is a single queue fed by every position.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { memoryRead, type ReadMode } from './memoryRead.js';
import { stopGradient } from '../tfjs/detach.js';
import { assignFrom } from '../tfjs/assign.js';

export class MemoryQueue {
  /** [Q, S, d] */
  readonly memory: tf.Variable;
  /** Next write slot of each queue. */
  readonly pointers: number[];

  constructor(store: ParamStore, readonly name: string, readonly numQueues: number, readonly slots: number, readonly dim: number) {
    this.memory = store.variable(`${name}/memory`, [numQueues, slots, dim], { kind: 'uniform', bound: 1 / Math.sqrt(dim) }, false);
    this.pointers = new Array<number>(numQueues).fill(0);
  }

  /** q [Q,B,d] -> [Q,B,d] (no gradient reaches the queue) */
  read(q: tf.Tensor3D, topK: number, gumbel: boolean, mode: ReadMode): tf.Tensor3D {
    return memoryRead(q, stopGradient(this.memory as tf.Tensor3D), topK, gumbel, mode);
  }

  /**
   * FIFO write. values [V, d], row r goes to queue (r mod Q) (rows are
   * image-major, position-minor, as the in-painting queries are); each
   * queue writes its rows in order from its pointer, wrapping at `slots`.
   */
  write(values: tf.Tensor2D): void {
    const [v, d] = values.shape;
    if (d !== this.dim) throw new Error(`${this.name}: query dim ${d} != ${this.dim}`);
    const Q = this.numQueues;
    const S = this.slots;
    // index into concat([memory rows (Q*S), values rows (V)])
    const index = new Int32Array(Q * S);
    for (let i = 0; i < Q * S; i++) index[i] = i;
    for (let r = 0; r < v; r++) {
      const q = r % Q;
      const ptr = this.pointers[q] as number;
      index[q * S + ptr] = Q * S + r;
      this.pointers[q] = (ptr + 1) % S;
    }
    assignFrom(this.memory, () => {
      const rows = tf.concat([tf.reshape(this.memory, [Q * S, d]), stopGradient(values)], 0);
      return tf.reshape(tf.gather(rows, tf.tensor1d(index, 'int32')), [Q, S, d]);
    });
  }
}
