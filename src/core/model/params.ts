/**
 * ParamStore: creates the model's named tf.Variables with seeded,
 * PyTorch-default initialization, and keeps the list of trainable weights
 * and of non-trainable state (batch-norm running statistics, memory queues).
 *
 * Each variable's values come from its own Rng, seeded by (seed, name):
 * the same seed gives identical weights, whatever the creation order.
 *
 * In 'count' mode no tensor memory is allocated: every variable is a
 * zero-size placeholder and only names and shapes are recorded (for
 * parameter counts of big presets). A counted model must never be run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.js';
import { InferenceScope } from '../tactics/scope.js';

export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'xavier'; fanIn: number; fanOut: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

/** PyTorch's default for conv/linear weights and biases: U(+-1/sqrt(fan_in)). */
export function kaimingUniform(fanIn: number): Init {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const COUNT_PLACEHOLDER = null as unknown as tf.Variable;

let instances = 0;

export class ParamStore {
  readonly specs: ParamSpec[] = [];
  private readonly vars = new Map<string, tf.Variable>();
  /** Whether the model is compiled for inference, and the forms derived from its weights (src/core/infer/). */
  readonly inference = new InferenceScope();
  /** Unique per store: tfjs variable names are global. A variable's tfjs name is `${prefix}/${name}`. */
  readonly prefix = `squid${instances++}`;

  constructor(
    readonly seed: number,
    readonly mode: 'create' | 'count' = 'create',
  ) {}

  /** A new variable; names must be unique. */
  variable(name: string, shape: number[], init: Init, trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new Error(`ParamStore: duplicate variable name ${name}`);
    this.specs.push({ name, shape: [...shape], trainable });
    let v: tf.Variable;
    if (this.mode === 'count') {
      // no tensor (and no backend) at all: a counted model is never run
      v = COUNT_PLACEHOLDER;
    } else {
      const t = tf.tensor(this.initValues(name, shape, init), shape, 'float32');
      v = tf.variable(t, trainable, `${this.prefix}/${name}`);
      t.dispose();
    }
    this.vars.set(name, v);
    return v;
  }

  private initValues(name: string, shape: number[], init: Init): Float32Array {
    const n = sizeOf(shape);
    const out = new Float32Array(n);
    if (init.kind === 'ones') out.fill(1);
    if (init.kind === 'uniform' || init.kind === 'xavier') {
      const bound = init.kind === 'uniform' ? init.bound : Math.sqrt(6 / (init.fanIn + init.fanOut));
      const rng = new Rng((this.seed ^ hashName(name)) >>> 0);
      for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
    }
    return out;
  }

  /** All variables by name, in creation order. */
  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  get(name: string): tf.Variable | undefined {
    return this.vars.get(name);
  }

  /** Trainable variables whose name starts with one of the prefixes. */
  trainable(prefixes: string[]): tf.Variable[] {
    return this.specs
      .filter((s) => s.trainable && prefixes.some((p) => s.name.startsWith(p)))
      .map((s) => this.vars.get(s.name) as tf.Variable);
  }

  /** Number of trainable scalars under the prefixes. */
  countTrainable(prefixes: string[]): number {
    return this.specs
      .filter((s) => s.trainable && prefixes.some((p) => s.name.startsWith(p)))
      .reduce((a, s) => a + sizeOf(s.shape), 0);
  }

  dispose(): void {
    this.inference.invalidate();
    if (this.mode === 'create') for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
