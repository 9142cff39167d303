/**
 * Frees memory during tfjs's backward pass, as PyTorch's autograd does.
 *
 * tfjs-core 4.22 keeps, until a whole tf.grads / variableGrads call ends,
 * the gradient of every intermediate tensor and every tape node's saved
 * tensors, although each is dead once the node that produced the tensor has
 * been back-propagated (the tape is walked in reverse topological order, so
 * all consumers of an output come before its producer). This patch wraps
 * each tape node's gradient function (via Engine.addTapeNode) and, when the
 * next node's gradient starts, disposes the previous node's dys, its saved
 * tensors and the partial gradients that tfjs has already summed into the
 * accumulator. Nothing is freed that is returned (gradients of the xs), was
 * passed in as dy, or is returned by a gradient function as an existing
 * tensor (aliasing: pinned instead). Higher-order gradients (nested tapes)
 * are left alone. The math is untouched; only lifetimes change.
 * Opt out with SQUID_LEAN_BACKPROP=0. Engine-internal: checked against
 * tfjs-core 4.22 (test/node/backend/lean.test.ts compares gradients and memory).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tfjsInternalsKnown } from './version.js';

interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode: (...args: unknown[]) => void;
  gradients: (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => unknown;
}

interface Pass {
  keep: Set<number>; // ids of the xs and of the seed dy: their gradients / the dy are never freed
  pinned: Set<tf.Tensor>; // tensors seen twice as gradients: possibly aliased
  seen: Set<tf.Tensor>;
  counts: Map<number, number>; // gradient contributions per input tensor id
  pending: tf.Tensor[];
}

let installed = false;
let pass: Pass | null = null;

function flush(p: Pass): void {
  for (const t of p.pending) {
    if (!t.isDisposed && !p.pinned.has(t) && !p.keep.has(t.id)) t.dispose();
  }
  p.pending = [];
}

/**
 * Runs fn with the current top-level pass set aside (a gradient computation
 * started inside fn gets a pass of its own); see tapePause.ts.
 */
export function suspendLeanPass<T>(fn: () => T): T {
  const saved = pass;
  pass = null;
  try {
    return fn();
  } finally {
    pass = saved;
  }
}

/** Installs the lean backprop (once); `enabled` false (SQUID_LEAN_BACKPROP=0 in Node) leaves tfjs as is. */
export function installLeanBackprop(enabled = true): boolean {
  if (installed) return true;
  if (!enabled || !tfjsInternalsKnown()) return false; // an unknown tfjs: leave its backprop as it is
  const eng = tf.engine() as unknown as EngineInternals;
  if (typeof eng.addTapeNode !== 'function' || typeof eng.gradients !== 'function') return false;
  installed = true;
  const addTapeNode = eng.addTapeNode;
  const gradients = eng.gradients;

  eng.addTapeNode = function (this: EngineInternals, ...args: unknown[]): void {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    const grad = node?.gradient;
    if (!node || !grad || !pass || this.state.gradientDepth !== 1) return; // top-level tape only
    node.gradient = (dys) => {
      const p = pass;
      if (!p) return grad(dys);
      flush(p); // the previous node's accumulation is complete now
      const closures = grad(dys);
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const [name, c] of Object.entries(closures)) {
        wrapped[name] = () => {
          const r = c();
          if (p.seen.has(r) || dys.includes(r) || (node.saved ?? []).includes(r)) p.pinned.add(r);
          p.seen.add(r);
          const x = node.inputs[name];
          if (x) {
            const n = (p.counts.get(x.id) ?? 0) + 1;
            p.counts.set(x.id, n);
            if (n > 1) p.pending.push(r); // tfjs adds it into the accumulator, then it is dead
          }
          return r;
        };
      }
      // a node output that is one of the xs keeps its gradient (it is returned)
      dys.forEach((d, i) => {
        if (d && !p.keep.has(node.outputs[i]?.id ?? -1)) p.pending.push(d);
      });
      for (const s of node.saved ?? []) p.pending.push(s);
      return wrapped;
    };
  };

  eng.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients) {
    if (pass || this.state.gradientDepth !== 0) return gradients.call(this, f, xs, dy, allowNoGradients);
    const keep = new Set<number>(xs.map((x) => x.id));
    if (dy) keep.add(dy.id);
    pass = { keep, pinned: new Set(), seen: new Set(), counts: new Map(), pending: [] };
    try {
      const out = gradients.call(this, f, xs, dy, allowNoGradients) as { value: tf.Tensor; grads: tf.Tensor[] };
      return out;
    } finally {
      pass = null;
    }
  };
  return true;
}
