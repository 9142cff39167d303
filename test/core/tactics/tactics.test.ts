/**
 * The tactics installed (src/core/tactics/install.ts) compute the paper's
 * math: the same values as the bare modules, in training and in inference,
 * and a block run leaves only its output behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { ParamStore } from '../../../src/core/model/params.js';
import { buildSquidModules, generate, type SquidModules } from '../../../src/core/squid/squid.js';
import { inferenceContext, trainingContext } from '../../../src/core/squid/context.js';
import { installTactics } from '../../../src/core/tactics/install.js';
import { TacticalResidualBlock } from '../../../src/core/tactics/residualBlock.js';
import { ScopedUp } from '../../../src/core/tactics/scoped.js';
import { TacticalConv, TacticalConvBnRelu } from '../../../src/core/tactics/foldedLayers.js';
import { Rng } from '../../../src/core/util/rng.js';
import { microPreset, images } from '../squid/modelHarness.js';

test('tactics installed: every residual block, up block, standalone convolution and bottleneck replaced; the same reconstruction, distillation and tensors left as the bare modules', async () => {
  await useBackend('cpu', { quiet: true });
  const preset = microPreset();
  const bareStore = new ParamStore(5);
  const bare = buildSquidModules(bareStore, preset.model);
  const store = new ParamStore(5); // same seed: the same weights
  const m = buildSquidModules(store, preset.model);
  installTactics(m, preset.model, store.inference);
  assert.ok(m.encoder.downs.every((b) => b instanceof TacticalResidualBlock) && m.encoder.inBlock instanceof TacticalResidualBlock);
  assert.ok([...m.student.ups, ...m.teacher!.ups].every((u) => u instanceof ScopedUp));
  assert.ok([m.student.out, m.teacher!.out, ...m.discriminator.convs].every((c) => c instanceof TacticalConv));
  assert.ok(m.inpainting!.bottleneck1 instanceof TacticalConvBnRelu && m.inpainting!.bottleneck2 instanceof TacticalConvBnRelu);
  const x = images(2, 16, 3);

  const pass = (mods: SquidModules, training: boolean): { values: number[]; left: number } => {
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const g = generate(mods, preset.model, x, training ? trainingContext(new Rng(7)) : inferenceContext(), true);
      return [...g.recon.dataSync(), ...(training ? g.distillation! : g.gap!).dataSync()];
    });
    return { values, left: tf.memory().numTensors - before };
  };
  for (const training of [true, false]) {
    const [got, want] = [pass(m, training), pass(bare, training)];
    assert.deepEqual(got.values, want.values, training ? 'training forward' : 'inference forward');
    assert.equal(got.left, want.left, 'tensors left behind');
  }
  tf.dispose(x);
  store.dispose();
  bareStore.dispose();
});
