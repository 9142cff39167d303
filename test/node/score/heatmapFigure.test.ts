/** The heatmap figure of `squid score --heatmaps`: the file's own resolution, the heatmap where it belongs, a colour bar and a caption. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { heatmapFigure } from '../../../src/node/score/heatmapFigure.js';
import { encodeGrayPng } from '../../../src/node/image/encode.js';

test('heatmap figure: the heatmap stretched over a 100x70 image (hot where it is hot), plus a colour-bar strip and a caption band', async () => {
  const [W, H, S] = [100, 70, 16];
  const file = await encodeGrayPng(new Float32Array(W * H).fill(0.5), W, H);
  const heat = new Float32Array(S * S);
  for (let y = 0; y < S / 2; y++) for (let x = 0; x < S / 2; x++) heat[y * S + x] = 1; // top-left quadrant hot, the rest 0
  const png = await heatmapFigure(file, heat, S, { name: 'scan.png', kind: 'position', heatmapKind: 'position', score: 0.8, threshold: 0.5, abnormal: true });
  const { data, info } = await sharp(Buffer.from(png)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.ok(info.width > W && info.width <= W + 60, `width ${info.width}: the image's ${W} and a colour-bar strip`);
  assert.ok(info.height > H && info.height <= H + 60, `height ${info.height}: the image's ${H} and a caption band`);
  const at = (x: number, y: number): number[] => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
  const [hotR, , hotB] = at(10, 8); // inside the top-left quadrant of the image
  const [coldR, , coldB] = at(W - 10, H - 8); // inside the bottom-right one
  assert.ok(hotR > hotB + 60, `red where the heatmap is 1: rgb ${at(10, 8)}`);
  assert.ok(coldB > coldR + 60, `blue where it is 0: rgb ${at(W - 10, H - 8)}`);
  assert.ok(Math.abs(at(W / 2 - 3, 8)[0]! - at(W / 2 + 3, 8)[0]!) > 40, 'the hot region ends at half the width: stretched to the file, not kept square');
});
