import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { assertClose, assertRanNatively, compareBackends, nativeSkipReason, randomInput, type Input } from './nativeHarness.js';

const skip = await nativeSkipReason();

// [a shape, b shape]: equal, scalar, channel vector, NHWC vs [N,1,1,C], middle broadcast, both sides broadcast
const broadcastPairs: [number[], number[]][] = [
  [[3, 5, 7], [3, 5, 7]],
  [[2, 5, 3, 4], []],
  [[], [2, 3]],
  [[2, 5, 3, 4], [4]],
  [[2, 5, 3, 4], [2, 1, 1, 4]],
  [[3, 1, 5], [3, 4, 1]],
  [[1, 4, 1], [3, 1, 6]],
  [[37, 129], [129]],
  [[5, 1], [5, 300]],
  [[2, 64, 130], [2, 64, 130]], // big enough for the threaded path
];

const binaryOps: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum],
  ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference],
];

function pair(seed: number, as: number[], bs: number[], lo = -2, hi = 2): Record<string, Input> {
  const rng = new Rng(seed);
  return { a: randomInput(rng, as, lo, hi), b: randomInput(rng, bs, lo, hi) };
}

test('native binary ops with broadcasting match tfjs-cpu, forward and gradients', { skip }, async () => {
  for (const [i, [as, bs]] of broadcastPairs.entries()) {
    for (const [name, op] of binaryOps) {
      const inputs = pair(i, as, bs);
      if (name === 'div') inputs.b = { ...inputs.b!, data: inputs.b!.data.map((v) => (Math.abs(v) < 0.3 ? 0.3 + v : v)) };
      await compareBackends(`${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, inputs, (t) => {
        const a = t.a as tf.Tensor;
        const b = t.b as tf.Tensor;
        const y = op(a, b);
        // tfjs's Maximum/Minimum/SquaredDifference gradients do not reduce broadcast dims (on any backend)
        if (['maximum', 'minimum', 'squaredDifference'].includes(name) && !tf.util.arraysEqual(as, bs)) return [y];
        const w = tf.sin(tf.range(0, y.size).reshape(y.shape));
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(op(p, q), w)))([a, b]);
        return [y, da as tf.Tensor, db as tf.Tensor];
      });
    }
  }
  await compareBackends('pow', pair(50, [4, 6], [6], 0.5, 2), (t) => tf.pow(t.a as tf.Tensor, t.b as tf.Tensor));
  await compareBackends('addN', { ...pair(51, [3, 9], [3, 9]), c: randomInput(new Rng(52), [3, 9]) }, (t) =>
    tf.addN([t.a as tf.Tensor, t.b as tf.Tensor, t.c as tf.Tensor]),
  );
  assertRanNatively(['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Pow', 'AddN'], 'binary');
});

test('native comparisons and select match tfjs-cpu', { skip }, async () => {
  const cmp: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less],
    ['lessEqual', tf.lessEqual], ['equal', tf.equal], ['notEqual', tf.notEqual],
  ];
  for (const [i, [as, bs]] of broadcastPairs.slice(0, 7).entries()) {
    for (const [name, op] of cmp) {
      const inputs = pair(100 + i, as, bs);
      // exact ties for equal / greaterEqual
      inputs.a!.data.forEach((v, k) => { if (k % 3 === 0) inputs.a!.data[k] = Math.round(v); });
      inputs.b!.data.forEach((v, k) => { if (k % 2 === 0) inputs.b!.data[k] = Math.round(v); });
      await compareBackends(`${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, inputs, (t) =>
        tf.cast(op(t.a as tf.Tensor, t.b as tf.Tensor), 'float32'),
      );
    }
  }
  await compareBackends('where', pair(120, [4, 5, 6], [4, 5, 6]), (t) =>
    tf.where(tf.greater(t.a as tf.Tensor, 0), t.a as tf.Tensor, t.b as tf.Tensor),
  );
  await compareBackends('where broadcast condition', pair(121, [4, 5], [4, 5]), (t) =>
    tf.where(tf.tensor2d([true, false, true, true], [4, 1], 'bool'), t.a as tf.Tensor, t.b as tf.Tensor),
  );
  assertRanNatively(['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'Select'], 'compare');
});

test('native unary ops match tfjs-cpu, forward and gradients', { skip }, async () => {
  const ops: [string, (x: tf.Tensor) => tf.Tensor, number, number][] = [
    ['relu', tf.relu, -3, 3], ['leakyRelu', (x) => tf.leakyRelu(x, 0.2), -3, 3], ['sigmoid', tf.sigmoid, -8, 8],
    ['tanh', tf.tanh, -3, 3], ['exp', tf.exp, -3, 3], ['log', tf.log, 0.1, 5], ['neg', tf.neg, -3, 3],
    ['abs', tf.abs, -3, 3], ['sqrt', tf.sqrt, 0.1, 5], ['rsqrt', tf.rsqrt, 0.1, 5], ['square', tf.square, -3, 3],
    ['log1p', tf.log1p, -0.5, 5], ['elu', tf.elu, -3, 3], ['relu6', tf.relu6, -3, 9], ['step', (x) => tf.step(x, 0.1), -3, 3],
    ['reciprocal', tf.reciprocal, 0.5, 3], ['softplus', tf.softplus, -20, 20], ['sign', tf.sign, -3, 3],
    ['expm1', tf.expm1, -2, 2], ['clipByValue', (x) => tf.clipByValue(x, -0.5, 0.7), -2, 2],
  ];
  for (const [i, shape] of [[7], [3, 5, 11], [2, 65, 257]].entries()) {
    for (const [name, op, lo, hi] of ops) {
      const inputs = { x: randomInput(new Rng(200 + i), shape, lo, hi) };
      await compareBackends(`${name} ${JSON.stringify(shape)}`, inputs, (t) => {
        const x = t.x as tf.Tensor;
        const w = tf.cos(tf.range(0, x.size).reshape(x.shape));
        const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op(v), w)))(x);
        return [op(x), dx];
      });
    }
  }
  assertRanNatively(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Rsqrt', 'Square',
    'Log1p', 'Elu', 'Relu6', 'Step', 'Reciprocal', 'Softplus', 'Sign', 'Expm1', 'ClipByValue'], 'unary');
});

test('the fused ReLU gradient equals tfjs\'s dy * step(x) on both backends', { skip }, async () => {
  const rng = new Rng(260);
  const x = randomInput(rng, [2, 33, 17, 5]);
  x.data.forEach((_, k) => { if (k % 7 === 0) x.data[k] = 0; }); // ties at 0 get gradient 0, as step(0) = 0
  const inputs = { x, dy: randomInput(rng, [2, 33, 17, 5]) };
  const viaGrad = (t: Record<string, tf.Tensor>) => tf.grad((v: tf.Tensor) => tf.relu(v))(t.x as tf.Tensor, t.dy as tf.Tensor);
  const reference = (t: Record<string, tf.Tensor>) => tf.mul(t.dy as tf.Tensor, tf.step(t.x as tf.Tensor));
  await compareBackends('relu grad vs native', inputs, viaGrad, 0);
  const { runOn } = await import('./nativeHarness.js');
  const [ref] = await runOn('cpu', inputs, reference);
  const [got] = await runOn('native', inputs, viaGrad);
  assertClose(got!.data, ref!.data, 0, 'relu grad vs dy * step(x)'); // exact (up to the sign of zero)
  assertRanNatively(['SquidReluGrad'], 'relu grad');
});
