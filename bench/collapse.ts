/**
 * What moves the discriminator's logits (issue 12, deliverable 5): from one
 * checkpoint, K steps of only the discriminator, only the generator, or the
 * usual GAN iteration, each from a fresh copy of the checkpoint (model and
 * Adam moments; the learning rates are the presets' initial ones), and the
 * validation logits after each block:
 * D(reconstruction) and D(x), mean +- std per class, and their AUC.
 *   node dist/bench/collapse.js --run R --data TRAIN --val VAL [--steps 10] [--blocks 2]
 * Reads model internals on purpose (a measuring tool, not the product).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import { createOptimizers, ganStep } from '../src/node/train/ganStep.js';
import { trainingSource } from '../src/node/train/data.js';
import { loadLabelledSet } from '../src/node/score/labelledSet.js';
import { meanStd } from '../src/core/score/scorer.js';
import { rocAuc } from '../src/node/metrics/roc.js';
import { Rng } from '../src/core/util/rng.js';
import type { SquidModel } from '../src/core/model/types.js';
import { createSquid } from '../src/core/model/squid.js';
import { loadCheckpoint } from '../src/node/train/trainState.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    data: { type: 'string' },
    val: { type: 'string' },
    steps: { type: 'string', default: '10' },
    blocks: { type: 'string', default: '2' },
  },
});

type Mode = 'discriminator only' | 'generator only' | 'both (GAN iteration)';

/** Per-class logits of D(recon) and D(x) on the validation images, as one table row. */
async function measure(model: SquidModel, x: Float32Array, size: number, labels: number[]): Promise<string> {
  const per = size * size;
  const n = labels.length;
  const rec = new Float32Array(n);
  const inp = new Float32Array(n);
  for (let s = 0; s < n; s += 16) {
    const k = Math.min(16, n - s);
    const [r, i] = tf.tidy(() => {
      const t = tf.tensor4d(x.subarray(s * per, (s + k) * per), [k, size, size, 1]);
      return [model.discriminatorLogits(model.reconstruct(t)), model.discriminatorLogits(t)];
    });
    rec.set(await (r as tf.Tensor).data(), s);
    inp.set(await (i as tf.Tensor).data(), s);
    tf.dispose([r as tf.Tensor, i as tf.Tensor]);
  }
  const cls = (v: Float32Array, c: number) => {
    const m = meanStd(v.filter((_, j) => labels[j] === c));
    return `${m.mean.toFixed(2)}±${m.std.toFixed(2)}`;
  };
  const auc = (v: Float32Array) => rocAuc(labels, Array.from(v, (a) => -a)).toFixed(3);
  return `${cls(rec, 0)} | ${cls(rec, 1)} | ${auc(rec)} | ${cls(inp, 0)} | ${cls(inp, 1)} | ${auc(inp)}`;
}

function generatorOnly(model: SquidModel, opt: ReturnType<typeof createOptimizers>, x: tf.Tensor4D, rng: Rng): void {
  const vars = model.generatorVariables;
  let kept: tf.Tensor[] = [];
  const g = tf.variableGrads(() => {
    const step = model.generatorLoss(x, rng);
    kept = [...Object.values(step.parts), step.queries];
    return step.total;
  }, vars);
  opt.g.apply(vars.map((v) => g.grads[v.name]));
  tf.dispose([g.value, ...Object.values(g.grads), ...kept]);
}

async function main(): Promise<void> {
  await useBackend('auto', { quiet: true });
  const steps = Number(values.steps);
  const blocks = Number(values.blocks);
  const probe = await loadRunModel(values.run as string, 'checkpoint');
  const preset = probe.cfg.preset;
  probe.model.dispose();
  const size = preset.model.imageSize;
  const source = await trainingSource(values.data as string, preset, 0);
  const val = await loadLabelledSet(values.val as string, size);
  const B = preset.train.batchSize;
  console.log('| mode | steps | D(recon) normal | D(recon) abnormal | AUC | D(x) normal | D(x) abnormal | AUC |');
  console.log('| --- | ---: | --- | --- | ---: | --- | --- | ---: |');
  const modes: Mode[] = ['discriminator only', 'generator only', 'both (GAN iteration)'];
  for (const mode of modes) {
    const model = createSquid(preset, { seed: 0 });
    const opt = createOptimizers(model, preset);
    await loadCheckpoint(values.run as string, preset.name, new Rng(0), model, opt);
    const rng = new Rng(5);
    if (mode === modes[0]) console.log(`| start | 0 | ${await measure(model, val.x, size, val.labels)} |`);
    for (let b = 0; b < blocks; b++) {
      for (let s = 0; s < steps; s++) {
        const x = tf.tensor4d(source.batch(1000 + b, s, B), [B, size, size, 1]);
        if (mode === 'generator only') generatorOnly(model, opt, x, rng);
        else await ganStep(model, opt, x, rng, mode === 'both (GAN iteration)' && s % preset.train.nCritic === preset.train.nCritic - 1, () => {});
        x.dispose();
      }
      console.log(`| ${mode} | ${(b + 1) * steps} | ${await measure(model, val.x, size, val.labels)} |`);
    }
    opt.g.dispose();
    opt.d.dispose();
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
