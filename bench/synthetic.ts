/**
 * A stand-in for the SQUID model at a preset's shapes, used by the profile
 * and the bench only while src/model/squid.ts is absent: the model's own
 * encoder, up blocks, batch norm and layers (student and teacher decoders, a
 * memory read by matmul + softmax, the discriminator), without the
 * transformer, queues and masks. It is only a workload, not the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Preset } from '../src/model/presets.js';
import { ParamStore } from '../src/model/params.js';
import { Encoder } from '../src/model/encoder.js';
import { UpBlock } from '../src/model/upBlock.js';
import { BatchNorm, type BnMode } from '../src/model/batchNorm.js';
import { Conv2d, Linear, leakyRelu } from '../src/model/layers.js';
import { assemblePatches } from '../src/model/patches.js';
import { stopGradient } from '../src/model/detach.js';

export interface TrainableWorkload {
  readonly generatorVariables: tf.Variable[];
  readonly discriminatorVariables: tf.Variable[];
  discriminatorLoss(x: tf.Tensor4D): tf.Scalar;
  generatorLoss(x: tf.Tensor4D): tf.Scalar;
  reconstruct(x: tf.Tensor4D): tf.Tensor4D;
  discriminatorLogits(x: tf.Tensor4D): tf.Tensor1D;
  dispose(): void;
}

class Decoder {
  private readonly ups: UpBlock[] = [];
  private readonly out: Conv2d;
  constructor(store: ParamStore, name: string, private readonly preset: Preset) {
    const ch = preset.model.channels;
    const L = ch.length - 1;
    let inC = ch[L] as number;
    for (let i = L - 1; i >= 0; i--) {
      const skipC = ch[i] as number;
      const concat = i >= preset.model.initialCombine;
      this.ups.push(new UpBlock(store, `${name}/up${i}`, concat ? inC + skipC : inC, skipC, concat));
      inC = skipC;
    }
    this.out = new Conv2d(store, `${name}/out`, inC, 1, 1);
  }
  apply(bottleneck: tf.Tensor4D, skips: tf.Tensor4D[], bn: BnMode): tf.Tensor4D {
    const P = this.preset.model.patchesPerSide;
    let h = bottleneck;
    const L = skips.length;
    this.ups.forEach((up, k) => {
      const i = L - 1 - k;
      if (i === this.preset.model.initialCombine - 1) h = assemblePatches(h, P);
      h = up.apply(h, skips[i] as tf.Tensor4D, bn);
    });
    return tf.sigmoid(this.out.apply(h));
  }
}

class Discriminator {
  private readonly convs: Conv2d[] = [];
  private readonly bns: (BatchNorm | undefined)[] = [];
  private readonly fc: Linear;
  constructor(store: ParamStore, preset: Preset) {
    let c = 1;
    let side = preset.model.imageSize;
    preset.model.discriminatorChannels.forEach((o, i) => {
      this.convs.push(new Conv2d(store, `d/conv${i}`, c, o, 5, 2, 2));
      this.bns.push(i === 0 ? undefined : new BatchNorm(store, `d/bn${i}`, o));
      c = o;
      side = Math.floor((side - 1) / 2) + 1;
    });
    this.fc = new Linear(store, 'd/fc', c * side * side, 1);
  }
  apply(x: tf.Tensor4D, bn: BnMode): tf.Tensor1D {
    let h = x;
    this.convs.forEach((conv, i) => {
      h = conv.apply(h);
      const b = this.bns[i];
      if (b) h = b.apply(h, bn);
      h = leakyRelu(h);
    });
    return tf.reshape(this.fc.apply(tf.reshape(h, [h.shape[0], -1])), [-1]) as tf.Tensor1D;
  }
}

export function createSynthetic(preset: Preset, seed = 1): TrainableWorkload {
  const gStore = new ParamStore(seed);
  const dStore = new ParamStore(seed + 1);
  const encoder = new Encoder(gStore, 'enc', preset.model);
  const student = new Decoder(gStore, 'student', preset);
  const teacher = new Decoder(gStore, 'teacher', preset);
  const disc = new Discriminator(dStore, preset);
  const bottleC = preset.model.channels[preset.model.channels.length - 1] as number;
  const memory = tf.randomUniform([preset.model.memorySlots, bottleC], -0.05, 0.05, 'float32', seed);
  const vars = (s: ParamStore) => s.trainable(['']);
  const bce = (logits: tf.Tensor, label: number) =>
    tf.mean(tf.add(tf.relu(logits), tf.sub(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))), tf.mul(logits, label))));
  const generate = (x: tf.Tensor4D, bn: BnMode) => {
    const { bottleneck, skips } = encoder.apply(x, bn);
    const [n, s, , c] = bottleneck.shape;
    const q = tf.reshape(bottleneck, [n * s * s, c]);
    const att = tf.softmax(tf.matMul(q, memory, false, true));
    const read = tf.reshape(tf.matMul(att, memory), bottleneck.shape);
    const studentOut = student.apply(tf.add(bottleneck, read), skips, bn);
    const teacherOut = teacher.apply(bottleneck, skips, bn);
    return { studentOut, teacherOut };
  };
  const w = preset.train.lossWeights;
  return {
    generatorVariables: vars(gStore),
    discriminatorVariables: vars(dStore),
    discriminatorLoss(x) {
      const { studentOut } = generate(x, 'train');
      const fake = stopGradient(studentOut);
      const real = disc.apply(x, 'train');
      const f = disc.apply(fake, 'train');
      return tf.mul(tf.add(bce(real, 1), bce(f, 0)), w.discriminator) as tf.Scalar;
    },
    generatorLoss(x) {
      const { studentOut, teacherOut } = generate(x, 'train');
      const rec = tf.mul(tf.losses.meanSquaredError(x, studentOut), w.reconstruction);
      const tea = tf.mul(tf.losses.meanSquaredError(x, teacherOut), w.teacher);
      const adv = tf.mul(bce(disc.apply(studentOut, 'train'), 1), w.generator);
      return tf.addN([rec, tea, adv]) as tf.Scalar;
    },
    reconstruct(x) {
      return generate(x, 'running').studentOut;
    },
    discriminatorLogits(x) {
      return disc.apply(x, 'per-image');
    },
    dispose() {
      gStore.dispose();
      dStore.dispose();
      memory.dispose();
    },
  };
}
