import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { nativeSkipReason } from './nativeHarness.js';
import { DIST } from '../../repo.js';

const skip = await nativeSkipReason();
const dist = `${DIST}/`;

// A few residual blocks with batch norm (the model's own layers, with the
// model's tactics: each block in its own tidy), one
// variableGrads call on the native backend; prints the gradients and the
// peak tfjs memory of the call.
const program = `
  import * as tf from '@tensorflow/tfjs-core';
  import { useBackend } from '${dist}src/node/backend/select.js';
  import { ParamStore } from '${dist}src/core/model/params.js';
  import { ResidualBlock } from '${dist}src/core/squid/residualBlock.js';
  import { TacticalResidualBlock } from '${dist}src/core/tactics/residualBlock.js';
  import { trainingContext } from '${dist}src/core/squid/context.js';
  await useBackend('native');
  const store = new ParamStore(3);
  const blocks = [new ResidualBlock(store, 'a', 3, 8, 1), new ResidualBlock(store, 'b', 8, 16, 2), new ResidualBlock(store, 'c', 16, 16, 1)]
    .map((b) => new TacticalResidualBlock(b, store.inference));
  const x = tf.randomUniform([4, 24, 24, 3], -1, 1, 'float32', 9);
  const vars = store.trainable(['']);
  const loss = () => { let h = x; for (const b of blocks) h = b.apply(h, trainingContext()); return tf.mean(tf.square(h)); };
  let grads;
  const info = await tf.profile(() => { const r = tf.variableGrads(loss, vars); grads = vars.map((v) => Array.from(r.grads[v.name].dataSync())); tf.dispose([r.value, ...Object.values(r.grads)]); });
  console.log(JSON.stringify({ grads, peak: info.peakBytes, leaked: tf.memory().numTensors }));
`;

function run(lean: string): { grads: number[][]; peak: number; leaked: number } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    env: { ...process.env, SQUID_LEAN_BACKPROP: lean }, encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { grads: number[][]; peak: number; leaked: number };
}

test('lean backprop frees dead gradients early: identical gradients, lower peak memory, no leaks', { skip }, () => {
  const lean = run('1');
  const full = run('0');
  assert.equal(lean.grads.length, full.grads.length);
  lean.grads.forEach((g, i) => assert.deepEqual(g, full.grads[i], `gradient ${i} differs`));
  assert.ok(lean.peak < full.peak, `peak ${lean.peak} not below ${full.peak}`);
  assert.equal(lean.leaked, full.leaked, 'tensor count after the call');
  process.stdout.write(`# peak tfjs memory of one variableGrads: lean ${(lean.peak / 2 ** 20).toFixed(1)} MB, stock ${(full.peak / 2 ** 20).toFixed(1)} MB\n`);
});
