/**
 * Measuring only: what the model and trainer would gain from the fused paths
 * the backend offers, by patching their prototypes in this process:
 *   conv: Conv2d.apply as tf.fused.conv2d with the bias (one kernel, no Add)
 *   bn:   BatchNorm 'train' with ops/batchNormTrain.ts (fused moments, backward)
 *   tidy: each ResidualBlock.apply in tf.tidy (frees unsaved intermediates)
 *   adam: Adam.apply with ops/adamUpdate.ts (one kernel per variable)
 * `node dist/bench/adoption.js [none|all|conv,bn,tidy,adam] [--check]`:
 * times zhanglab training iterations and peak RSS, or (--check) prints the
 * tiny model's losses and gradient norms for comparing two settings.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/backend/select.js';
import { Adam } from '../src/train/adam.js';
import { BatchNorm, type BnMode } from '../src/model/batchNorm.js';
import { ResidualBlock } from '../src/model/residualBlock.js';
import { Conv2d } from '../src/model/layers.js';
import { stopGradient } from '../src/model/detach.js';
import { resolvePreset } from '../src/model/presetSchema.js';
import { createSquid } from '../src/model/squid.js';
import { Rng } from '../src/util/rng.js';
import { adamUpdate } from '../src/backend/ops/adamUpdate.js';
import { batchMoments, batchNormTrainGrad } from '../src/backend/ops/batchNormTrain.js';
import { makeWorkload } from './workload.js';
import { hasFlag } from './args.js';

const arg = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'all';
const parts = new Set(arg === 'all' ? ['conv', 'bn', 'tidy', 'adam'] : arg === 'none' ? [] : arg.split(','));
await useBackend('native');

interface AdamInternals {
  step: number;
  lr: number;
  config: { beta1: number; beta2: number; epsilon: number; weightDecay: number };
  variables: tf.Variable[];
  m: tf.Tensor[];
  v: tf.Tensor[];
}

if (parts.has('adam')) {
  Adam.prototype.apply = function (this: Adam, grads: readonly (tf.Tensor | null | undefined)[]): void {
    const a = this as unknown as AdamInternals;
    a.step++;
    grads.forEach((g, i) => {
      if (!g) return;
      const w = a.variables[i]!;
      const r = adamUpdate(w, g, a.m[i]!, a.v[i]!, { lr: a.lr, ...a.config, step: a.step });
      w.assign(r.w);
      r.w.dispose();
      a.m[i]!.dispose();
      a.v[i]!.dispose();
      a.m[i] = r.m;
      a.v[i] = r.v;
    });
  };
}

if (parts.has('bn')) {
  const orig = BatchNorm.prototype.apply;
  BatchNorm.prototype.apply = function (this: BatchNorm, x: tf.Tensor4D, mode: BnMode): tf.Tensor4D {
    if (mode !== 'train') return orig.call(this, x, mode);
    const { mean, variance } = batchMoments(stopGradient(x));
    (this as unknown as { updateRunning(m: tf.Tensor1D, v: tf.Tensor1D, n: number): void }).updateRunning(mean, variance, x.size / this.channels);
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xx, g, b, m, v] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      const rstd = tf.rsqrt(tf.add(v, 1e-5)) as tf.Tensor1D;
      (args[5] as tf.GradSaveFunc)([xx, g, m, rstd]);
      return {
        value: tf.batchNorm4d(xx, m, v, b, g, 1e-5),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sg, sm, sr] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          const r = batchNormTrainGrad(dy as tf.Tensor4D, sx, sg, sm, sr);
          return [r.dx, r.dgamma, r.dbeta, tf.zerosLike(sm), tf.zerosLike(sr)];
        },
      };
    });
    return f(x, this.gamma, this.beta, mean, variance) as tf.Tensor4D;
  };
}

if (parts.has('tidy')) {
  const orig = ResidualBlock.prototype.apply;
  ResidualBlock.prototype.apply = function (this: ResidualBlock, x: tf.Tensor4D, bn: BnMode): tf.Tensor4D {
    return tf.tidy(() => orig.call(this, x, bn));
  };
}

if (parts.has('conv')) {
  Conv2d.prototype.apply = function (this: Conv2d, x: tf.Tensor4D): tf.Tensor4D {
    return tf.fused.conv2d({ x, filter: this.kernel as tf.Tensor4D, strides: this.stride, pad: this.pad, bias: this.bias });
  };
}

if (hasFlag('--check')) {
  const m = createSquid(resolvePreset('tiny'), { seed: 5 });
  const x = tf.randomUniform([4, 48, 48, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const g = tf.variableGrads(() => {
    const s = m.generatorLoss(x, new Rng(4));
    s.queries.dispose();
    return s.total;
  }, m.generatorVariables);
  const d = tf.variableGrads(() => m.discriminatorLoss(x, new Rng(3)), m.discriminatorVariables);
  const norms = (vars: tf.Variable[], grads: Record<string, tf.Tensor>) =>
    vars.map((v) => (grads[v.name] ? tf.norm(grads[v.name]!).dataSync()[0]! : 0));
  process.stdout.write(JSON.stringify({
    losses: [g.value.dataSync()[0], d.value.dataSync()[0]],
    gradNorms: [...norms(m.generatorVariables, g.grads), ...norms(m.discriminatorVariables, d.grads)],
  }) + '\n');
} else {
  const w = await makeWorkload('zhanglab');
  w.trainIteration();
  const ms: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    w.trainIteration();
    ms.push(performance.now() - t0);
  }
  process.stdout.write(`${arg}: zhanglab training iteration ${ms.map((v) => v.toFixed(0)).join(', ')} ms; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
}
