import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, REPO } from '../../repo.js';

const selectJs = join(DIST, 'src', 'node', 'backend', 'select.js');

// Runs a small program in a fresh process (the backend choice is per process).
function run(env: Record<string, string>, body: string): { status: number | null; stdout: string; stderr: string } {
  const src = `
    import * as tf from '@tensorflow/tfjs-core';
    import { useBackend } from ${JSON.stringify(selectJs)};
    ${body}
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], {
    env: { ...process.env, ...env }, encoding: 'utf8', cwd: REPO,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const computeConv = `
  const x = tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i)), [2, 6, 6, 3]);
  const w = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
  const [dx] = tf.grads((a) => tf.conv2d(a, w, 2, 'same').sum())([x]);
  const y = tf.conv2d(x, w, 2, 'same');
  console.log(JSON.stringify({ name: info.name, reason: info.fallbackReason ?? null, backend: tf.getBackend(),
    y: Array.from(y.dataSync()).slice(0, 4), dx: dx.sum().dataSync()[0] }));
`;

test('with the addon disabled, auto falls back to tfjs-cpu, says why once, and still computes', () => {
  const r = run({ SQUID_NATIVE_DISABLE: '1' }, `const info = await useBackend('auto'); ${computeConv}`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { name: string; reason: string | null; backend: string; y: number[]; dx: number };
  assert.equal(out.name, 'cpu');
  assert.equal(out.backend, 'cpu');
  assert.match(out.reason ?? '', /SQUID_NATIVE_DISABLE/);
  assert.equal(out.y.length, 4);
  assert.ok(out.y.every(Number.isFinite) && Number.isFinite(out.dx));
  const warnings = r.stderr.split('\n').filter((l) => l.includes('using the tfjs-cpu backend'));
  assert.equal(warnings.length, 1, `stderr: ${r.stderr}`);
});

test('with the addon disabled, --backend native is an error naming the reason', () => {
  const r = run({ SQUID_NATIVE_DISABLE: '1' }, `
    try { await useBackend('native'); console.log('no error'); }
    catch (e) { console.log('error: ' + e.message); }
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /error: native backend unavailable: disabled by SQUID_NATIVE_DISABLE=1/);
});

test('auto and cpu give the same conv results (native when the addon loads)', () => {
  const a = run({}, `const info = await useBackend('auto', { quiet: true }); ${computeConv}`);
  const c = run({}, `const info = await useBackend('cpu'); ${computeConv}`);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(c.status, 0, c.stderr);
  const oa = JSON.parse(a.stdout.trim()) as { y: number[]; dx: number; name: string };
  const oc = JSON.parse(c.stdout.trim()) as { y: number[]; dx: number };
  oa.y.forEach((v, i) => assert.ok(Math.abs(v - (oc.y[i] ?? NaN)) <= 1e-4 * Math.max(1, Math.abs(v)), `y[${i}]`));
  assert.ok(Math.abs(oa.dx - oc.dx) <= 1e-4 * Math.max(1, Math.abs(oc.dx)));
  process.stdout.write(`# auto picked ${oa.name}\n`);
});
